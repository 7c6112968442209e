"""API tokens: stored hashed, shown once, expiring, revocable, and acting as their user."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from brm.core.models import ApiToken

URL = "/api/v1/units/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_it_issues_a_token_of_the_documented_shape(integration) -> None:
    token, raw = ApiToken.issue(integration, "HR sync")

    prefix, key_id, secret = raw.split("_", 2)
    assert (prefix, key_id) == ("brm", token.key_id)
    assert len(secret) >= 32
    assert token.expires_at is None


def test_it_stores_only_a_hash_of_the_secret(integration) -> None:
    token, raw = ApiToken.issue(integration, "HR sync")
    secret = raw.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM brm_apitoken WHERE id = %s", [token.pk])
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in stored
    assert raw not in stored
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_it_authenticates_with_a_valid_token(integration) -> None:
    _, raw = ApiToken.issue(integration, "HR sync")

    response = bearer(raw).get(URL)

    assert response.status_code == 200


def test_it_acts_with_the_role_of_the_tokens_user(no_role_user) -> None:
    _, raw = ApiToken.issue(no_role_user, "Unassigned")

    response = bearer(raw).get(URL)

    assert response.status_code == 403


def test_it_expires_tokens_after_the_given_days(integration) -> None:
    before = timezone.now()
    token, _ = ApiToken.issue(integration, "Pilot", days=30)

    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)


def test_it_refuses_an_expired_token(integration) -> None:
    token, raw = ApiToken.issue(integration, "Pilot", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_unauthorized(bearer(raw).get(URL))


def test_it_refuses_a_revoked_token(integration) -> None:
    token, raw = ApiToken.issue(integration, "Old sync")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    assert_unauthorized(bearer(raw).get(URL))


def test_it_refuses_a_token_whose_user_is_inactive(integration) -> None:
    _, raw = ApiToken.issue(integration, "HR sync")
    integration.is_active = False
    integration.save(update_fields=["is_active"])

    assert_unauthorized(bearer(raw).get(URL))


def test_it_refuses_a_wrong_secret_for_a_known_key_id(integration) -> None:
    token, _ = ApiToken.issue(integration, "HR sync")

    assert_unauthorized(bearer(f"brm_{token.key_id}_not-the-secret").get(URL))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",  # no token
        "Bearer a b",  # too many parts
        "Bearer garbage",  # not brm_<id>_<secret>
        "Bearer xyz_abc_def",  # wrong prefix
        "Bearer brm_",  # empty id and secret
        "Bearer \xff\xfe",  # not UTF-8 once read as latin-1 bytes
        "Bearer brm_a\x00b_secret",  # PostgreSQL refuses NUL bytes: never sent to the database
        "Bearer brm_abc_\x00",
        "Bearer brm_" + "a" * 5000 + "_secret",  # longer than any key id
    ],
)
def test_it_refuses_a_malformed_authorization_header(db, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_unauthorized(client.get(URL))


def test_it_asks_for_credentials_without_an_authorization_header(db) -> None:
    assert_unauthorized(APIClient().get(URL))


def test_it_records_when_a_token_was_last_used(integration) -> None:
    token, raw = ApiToken.issue(integration, "HR sync")
    assert token.last_used_at is None

    bearer(raw).get(URL)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_it_writes_last_used_at_at_most_once_a_minute(integration) -> None:
    token, raw = ApiToken.issue(integration, "HR sync")
    client = bearer(raw)
    client.get(URL)
    token.refresh_from_db()
    first_use = token.last_used_at

    client.get(URL)

    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_it_prints_a_working_token_from_the_management_command(integration) -> None:
    out, err = StringIO(), StringIO()

    call_command("create_api_token", user="integration", name="CRM", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=integration, name="CRM")
    assert raw.startswith(f"brm_{token.key_id}_")
    assert raw not in err.getvalue()
    assert bearer(raw).get(URL).status_code == 200


def test_it_sets_the_expiry_from_the_management_command(integration) -> None:
    call_command(
        "create_api_token", user="integration", days=7, stdout=StringIO(), stderr=StringIO()
    )

    token = ApiToken.objects.get(user=integration)
    assert (
        timezone.now() + timedelta(days=6) < token.expires_at < timezone.now() + timedelta(days=8)
    )


def test_it_refuses_a_token_for_an_unknown_user_in_the_management_command(db) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_token", user="nobody", stdout=StringIO(), stderr=StringIO())

    assert not ApiToken.objects.exists()


def test_it_refuses_non_positive_days_in_the_management_command(integration) -> None:
    with pytest.raises(CommandError):
        call_command(
            "create_api_token", user="integration", days=0, stdout=StringIO(), stderr=StringIO()
        )

    assert not ApiToken.objects.exists()


def test_it_maps_business_rule_errors_to_http_answers():
    """Services raise the shared errors; every API answers them the same way."""
    from brm.core.api import exception_handler
    from brm.core.errors import ForbiddenAction, InputError, StateConflict

    assert exception_handler(InputError("reason", "Say why."), {}).data == {"reason": ["Say why."]}
    assert exception_handler(ForbiddenAction("Not your unit."), {}).status_code == 403
    conflict = exception_handler(StateConflict("Already done."), {})
    assert conflict.status_code == 409 and conflict.data == {"detail": "Already done."}
