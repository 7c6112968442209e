"""The session engine (brm.core.sessions): Django's database sessions, the read replayed
(issue 14). What must hold is what Django's own read does: a session signed out, expired or
cycled elsewhere is gone on the next request, in every worker, and a live one is read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from brm.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_project_uses_the_replaying_engine() -> None:
    assert settings.SESSION_ENGINE == "brm.core.sessions"


@pytest.mark.usefixtures("nothing_kept")
def test_a_session_is_read_until_it_is_signed_out_or_expires_elsewhere(
    brm: Any, executive: Any
) -> None:
    first, second = Client(), Client()
    first.force_login(brm)
    second.force_login(executive)
    for _ in range(2):  # learned, then replayed for both keys
        assert first.get("/profile/").context["user"].pk == brm.pk
        assert second.get("/profile/").context["user"].pk == executive.pk
    # Signed out elsewhere (another worker, the admin): the row is gone.
    Session.objects.filter(session_key=first.session.session_key).delete()
    assert first.get("/profile/").status_code == 302
    # Expired a second ago.
    key = second.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert second.get("/profile/").status_code == 302


def test_a_store_loads_saves_and_forgets_as_djangos_does() -> None:
    store = SessionStore()
    store["answer"] = 42
    store.save()
    assert SessionStore(store.session_key)["answer"] == 42
    missing = SessionStore("x" * 32)
    assert missing.load() == {} and missing.session_key is None  # a new one is made on save
    store.delete()
    assert SessionStore(store.session_key).load() == {}
