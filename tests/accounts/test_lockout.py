"""Guessing is throttled: django-axes locks an account, or an address, after AXES_FAILURE_LIMIT
failed sign-ins (login form, admin, bearer tokens) for the cool-off; the lock and its release are
in the audit log. allauth limits password reset requests per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from brm.core.models import ApiToken, AuditEvent
from brm.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return UserFactory.create(username="alice", email="alice@example.org", role=Role.BRM)


def _fail(client, login="alice", times=1):
    return [client.post(LOGIN, {"login": login, "password": "wrong"}) for _ in range(times)][-1]


def test_an_account_is_locked_after_the_limit_even_with_the_right_password(client, alice):
    assert _fail(client, times=4).status_code == 200  # the form, with its error
    locked = _fail(client)
    assert locked.status_code == 429
    assert b"Sign-in locked" in locked.content
    right = client.post(LOGIN, {"login": "alice", "password": "pass-1234"})
    assert right.status_code == 429
    assert client.get(reverse("core:profile")).status_code == 302  # not signed in
    event = AuditEvent.objects.get(action="signin.locked")
    assert (event.subject_type, event.subject_id) == ("user", alice.pk)
    assert event.details == {"ip_address": "127.0.0.1", "source": "sign-in"}


def test_an_address_is_locked_after_failures_on_many_accounts(client, alice):
    for name in ("bob", "carol", "dave", "erin", "frank"):
        _fail(client, login=name)
    assert client.post(LOGIN, {"login": "alice", "password": "pass-1234"}).status_code == 429
    other = type(client)(REMOTE_ADDR="10.0.0.7")
    assert other.post(LOGIN, {"login": "alice", "password": "pass-1234"}).status_code == 302


def test_the_lock_lifts_after_the_cool_off_and_the_release_is_recorded(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _fail(client, times=5)
        clock.shift(timedelta(minutes=16))
        right = client.post(LOGIN, {"login": "alice", "password": "pass-1234"})
    assert right.status_code == 302
    released = AuditEvent.objects.get(action="signin.unlocked")
    assert released.subject_id == alice.pk and released.details["failures"] == 5


def test_a_new_lock_after_a_release_is_recorded_again(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _fail(client, times=5)
        clock.shift(timedelta(minutes=16))
        _fail(client, times=5)
    assert AuditEvent.objects.filter(action="signin.locked", subject_id=alice.pk).count() == 2


def test_bad_bearer_tokens_lock_the_address_out_of_the_api(alice):
    _, good = ApiToken.issue(alice, "sync")
    api = APIClient()
    for _ in range(4):
        api.credentials(HTTP_AUTHORIZATION="Bearer brm_0123456789ab_guess")
        assert api.get("/api/v1/units/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Bearer brm_0123456789ab_guess")
    locked = api.get("/api/v1/units/")
    assert locked.status_code == 429 and "Too many" in locked.json()["detail"]
    # Wrong tokens from the address stay refused for the cool-off, another key id's too ...
    api.credentials(HTTP_AUTHORIZATION="Bearer brm_ba9876543210_guess")
    assert api.get("/api/v1/units/").status_code == 429
    # ... but a good token is a 256-bit secret: refusing it would protect nothing and let a
    # neighbour on the same address lock the integration out.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {good}")
    assert api.get("/api/v1/units/").status_code == 200
    event = AuditEvent.objects.get(action="signin.locked")
    assert event.details["source"] == "api" and event.subject_id is None


def test_a_good_token_costs_no_lockout_queries(alice):
    _, good = ApiToken.issue(alice, "sync")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {good}")
    api.get("/api/v1/units/")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/units/").status_code == 200
    assert not [q for q in queries.captured_queries if "axes_" in q["sql"]]


def test_a_good_token_from_another_address_still_works(alice):
    _, good = ApiToken.issue(alice, "sync")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer brm_0123456789ab_guess")
    for _ in range(5):
        api.get("/api/v1/units/")
    other = APIClient(REMOTE_ADDR="10.0.0.8")
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {good}")
    assert other.get("/api/v1/units/").status_code == 200


def test_password_reset_requests_are_limited_per_address(client, alice, mailoutbox):
    answers = [
        client.post(reverse("account_reset_password"), {"email": "alice@example.org"})
        for _ in range(5)
    ]
    assert [a.status_code for a in answers[:3]] == [302, 302, 302]
    assert answers[-1].status_code == 429
    assert len(mailoutbox) == 3


def test_the_lockout_answer_is_the_documented_error(alice):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer brm_0123456789ab_guess")
    answers = [api.get("/api/v1/units/") for _ in range(6)]
    locked = answers[-1]
    assert locked.status_code == 429
    assert set(locked.json()) == {"detail"}  # the schema's Error body, as 401 and 403 send
