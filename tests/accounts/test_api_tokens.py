"""API tokens on the profile page: created by their owner (shown once, stored hashed), revoked
by their owner only; a user without a role gets none."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from brm.core.models import ApiToken, AuditEvent
from brm.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory.create(role=Role.BRM)


def _create(client, **data):
    return client.post(reverse("core:token_create"), {"name": "Excel report", "days": 30, **data})


def test_it_shows_a_new_token_once_and_it_works(client, owner):
    client.force_login(owner)
    response = _create(client)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = re.search(rb"brm_[0-9a-f]+_[\w-]+", response.content).group().decode()
    token = ApiToken.objects.get(user=owner)
    assert raw not in token.secret_hash and token.expires_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/units/").status_code == 200
    page = client.get(reverse("core:profile"))
    assert raw.encode() not in page.content and b"Excel report" in page.content
    assert AuditEvent.objects.filter(action="api_token.created", actor=owner).exists()


def test_it_refuses_a_bad_name_or_expiry(client, owner):
    client.force_login(owner)
    assert _create(client, name="two\nlines").status_code == 400
    assert _create(client, days=0).status_code == 400
    assert _create(client, days=366).status_code == 400
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_a_token_and_it_stops_working(client, owner):
    token, raw = ApiToken.issue(owner, "sync")
    client.force_login(owner)
    response = client.post(reverse("core:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/units/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=owner).count() == 1


def test_another_users_token_is_404_and_stays_valid(client, owner):
    token, _ = ApiToken.issue(UserFactory.create(role=Role.BRM), "theirs")
    client.force_login(owner)
    assert client.post(reverse("core:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_user_without_a_role_gets_no_token(client):
    client.force_login(UserFactory.create())
    assert _create(client).status_code == 403
    assert b"token-form" not in client.get(reverse("core:profile")).content
    assert not ApiToken.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    assert client.post(reverse("core:token_create"), {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_the_profile_lists_tokens_in_constant_queries(client, owner, django_assert_max_num_queries):
    client.force_login(owner)
    for n in range(8):
        ApiToken.issue(owner, f"token {n}")
    # session, user+preference, preference, roles, tokens, plus the page's own few
    with django_assert_max_num_queries(10):
        assert client.get(reverse("core:profile")).status_code == 200
