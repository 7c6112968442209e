"""Two-factor sign-in (allauth.mfa: authenticator app and recovery codes): required for the roles
in BRM_MFA_REQUIRED_ROLES (administrators by default) before anything else, optional for the
others; a wrong code signs nobody in."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache
from django.urls import reverse

from brm.core.models import AuditEvent
from brm.core.roles import Role
from tests.conftest import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(secret: str = SECRET) -> str:
    counters = list(yield_hotp_counters_from_time())
    counter = counters[len(counters) // 2]  # the current period
    code: str = format_hotp_value(hotp_value(secret, counter))
    return code


@pytest.fixture(autouse=True)
def mfa_for_admins(settings):
    settings.BRM_MFA_REQUIRED_ROLES = ["admin"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(db):
    return UserFactory.create(username="root", email="root@example.org", role=Role.ADMIN)


def _sign_in(client, username: str) -> None:
    response = client.post(LOGIN, {"login": username, "password": "pass-1234"})
    assert response.status_code == 302


def test_an_admin_without_mfa_is_sent_to_set_it_up_first(client, admin):
    client.force_login(admin)
    for path in ("/", "/profile/", "/admin/", "/dashboard/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp"), path


def test_static_files_stay_open_under_whichever_static_url_is_set(client, admin, settings):
    # The open prefixes are kept per process: keyed by STATIC_URL too, so the prefix asked for
    # under one setting is never the answer under another.
    client.force_login(admin)
    for static_url in ("/static/", "/assets/"):
        settings.STATIC_URL = static_url
        open_path = f"{static_url}css/missing.css"
        assert client.get(open_path).status_code == 404, open_path  # not sent to set up MFA
        other = "/assets/css/missing.css" if static_url == "/static/" else "/static/x.css"
        assert client.get(other)["Location"] == reverse("mfa_activate_totp"), other


def test_an_admin_without_mfa_gets_403_from_the_api_with_a_session(client, admin):
    client.force_login(admin)
    response = client.get("/api/v1/units/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_an_admin_without_mfa_gets_nothing_for_an_htmx_fragment(client, admin):
    # The header's fragments (the bell) would otherwise swap the setup page in, again and again.
    client.force_login(admin)
    response = client.get("/profile/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.content == b""


def test_an_admin_integration_token_is_not_a_session_and_is_not_held_up(admin):
    assert token_client(admin).get("/api/v1/units/").status_code == 200


def test_mfa_is_optional_for_other_roles(client):
    client.force_login(UserFactory.create(role=Role.BRM))
    assert client.get("/profile/").status_code == 200


def test_a_role_can_be_required_by_the_setting(client, settings):
    settings.BRM_MFA_REQUIRED_ROLES = ["admin", "brm"]
    client.force_login(UserFactory.create(role=Role.BRM))
    assert client.get("/profile/")["Location"] == reverse("mfa_activate_totp")


def test_with_passwords_off_the_identity_provider_answers_for_mfa(client, admin, settings):
    settings.SOCIALACCOUNT_ONLY = True
    client.force_login(admin)
    assert client.get("/profile/").status_code == 200


def test_an_admin_sets_up_an_authenticator_app_and_then_may_work(
    client, admin, django_capture_on_commit_callbacks
):
    _sign_in(client, "root")
    # allauth asks for the password again before a second factor is added
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": "pass-1234"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not Authenticator.objects.filter(user=admin).exists()
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        done = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert client.get("/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.added", subject_id=admin.pk).exists()


@pytest.fixture
def admin_with_mfa(admin):
    TOTP.activate(admin, SECRET)
    RecoveryCodes.activate(admin)
    return admin


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client, admin_with_mfa):
    response = client.post(LOGIN, {"login": "root", "password": "pass-1234"})
    assert response["Location"] == reverse("mfa_authenticate")
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert client.get("/profile/").status_code == 302  # still signed out
    right = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert right.status_code == 302
    assert client.get("/profile/").status_code == 200


def test_a_recovery_code_signs_in_once(client, admin_with_mfa):
    codes = Authenticator.objects.get(user=admin_with_mfa, type="recovery_codes").wrap()
    code = codes.get_unused_codes()[0]
    client.post(LOGIN, {"login": "root", "password": "pass-1234"})
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get("/profile/").status_code == 200
    client.logout()
    client.post(LOGIN, {"login": "root", "password": "pass-1234"})
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200 and again.context["form"].errors
    assert client.get("/profile/").status_code == 302


def test_removing_the_authenticator_app_is_seen_on_the_next_request(client, admin_with_mfa):
    """`has_mfa` is replayed with the user's id on every request of a role that needs MFA
    (issue 14): the app's removal (another session, the admin) is read at once."""
    client.force_login(admin_with_mfa)
    assert client.get("/profile/").status_code == 200
    assert client.get("/profile/").status_code == 200
    Authenticator.objects.filter(user=admin_with_mfa, type=Authenticator.Type.TOTP).delete()
    assert client.get("/profile/")["Location"] == reverse("mfa_activate_totp")
