"""Single sign-on with OpenID Connect (allauth's provider, hardened in brm/accounts/oidc.py),
against a real provider on 127.0.0.1 (tests/accounts/oidc_provider.py): discovery, code flow
with PKCE, state and nonce checked, a tampered or foreign ID token refused; accounts matched by
verified email, created only when allowed; role and unit from the administrator's claims mapping,
refreshed at each sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from brm.accounts.models import ClaimsMapping
from brm.core.models import AuditEvent
from brm.core.roles import Role, role_of
from stakeholders.models import Stakeholder
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, new_key
from tests.factories import BusinessUnitFactory, StakeholderFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/oidc/sso/login/"


@pytest.fixture
def provider(settings) -> Iterator[Provider]:
    idp = Provider().start()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Test IdP",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": idp.issuer, "oauth_pkce_enabled": True},
                }
            ],
        }
    }
    cache.clear()
    yield idp
    idp.stop()


def _claims(email="alice@example.org", verified=True, **more):
    return {"sub": f"sub-{email}", "email": email, "email_verified": verified, **more}


def _sign_in(client, provider, *, state=None):
    start = client.post(LOGIN)
    assert start.status_code == 302, start.content[:300]
    assert start["Location"].startswith(f"{provider.issuer}/authorize?")
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(at_idp.headers["Location"])
    query = parse_qs(back.query)
    if state is not None:
        query["state"] = [state]
    return client.get(back.path, {k: v[0] for k, v in query.items()})


def _signed_in_as(client):
    response = client.get(reverse("core:profile"))
    return response.wsgi_request.user if response.status_code == 200 else None


@pytest.fixture
def alice(db):
    return UserFactory.create(username="alice", email="alice@example.org", role=Role.BRM)


def test_the_login_page_offers_the_provider(client, provider):
    page = client.get("/accounts/login/")
    assert b"Sign in with Test IdP" in page.content
    assert LOGIN.encode() in page.content


def test_a_verified_address_signs_in_to_its_account_with_pkce_state_and_nonce(
    client, provider, alice
):
    provider.claims = _claims()
    response = _sign_in(client, provider)
    assert response.status_code == 302
    assert _signed_in_as(client) == alice
    assert provider.discovery_hits >= 1
    [asked] = provider.authorize_requests
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] and len(asked["nonce"]) >= 32
    [exchanged] = provider.token_requests
    assert exchanged["code_verifier"]  # the provider checked it against the challenge
    assert SocialAccount.objects.filter(user=alice, provider="sso").exists()
    alice.refresh_from_db()
    assert alice.has_usable_password()  # an administrator's address, now verified: kept
    assert EmailAddress.objects.filter(user=alice, verified=True).exists()


def test_an_unverified_address_signs_in_to_no_account(client, provider, alice):
    provider.claims = _claims(verified=False)
    _sign_in(client, provider)
    assert _signed_in_as(client) is None
    assert not SocialAccount.objects.exists()


def test_an_unknown_address_gets_no_account_unless_allowed(client, provider, settings):
    provider.claims = _claims(email="new@example.org")
    _sign_in(client, provider)
    assert _signed_in_as(client) is None
    assert not get_user_model().objects.filter(email="new@example.org").exists()
    settings.BRM_SSO_CREATE_USERS = True
    client.logout()
    _sign_in(client, provider)
    user = _signed_in_as(client)
    assert user is not None and user.email == "new@example.org"
    assert not user.has_usable_password()


def test_a_forged_state_is_refused(client, provider, alice):
    provider.claims = _claims()
    _sign_in(client, provider, state="forged-state")
    assert _signed_in_as(client) is None
    assert provider.token_requests == []  # the code was never exchanged


def test_an_id_token_with_another_logins_nonce_is_refused(client, provider, alice):
    provider.claims = _claims()
    provider.claims_override = {"nonce": "replayed-from-another-login"}
    _sign_in(client, provider)
    assert _signed_in_as(client) is None


def test_a_tampered_id_token_is_refused(client, provider, alice, settings):
    settings.BRM_SSO_CREATE_USERS = True

    def tamper(token: str) -> str:
        header, payload, signature = token.split(".")
        import base64  # noqa: PLC0415
        import json  # noqa: PLC0415

        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "mallory@example.org"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    provider.claims = _claims()
    provider.id_token_filter = tamper
    _sign_in(client, provider)
    assert _signed_in_as(client) is None
    assert not get_user_model().objects.filter(email="mallory@example.org").exists()


def test_an_id_token_signed_by_another_provider_is_refused(client, provider, alice):
    provider.claims = _claims()
    provider.signing_key = new_key()  # same kid, a key the provider never published
    _sign_in(client, provider)
    assert _signed_in_as(client) is None


def test_an_id_token_from_another_issuer_is_refused(client, provider, alice):
    provider.claims = _claims()
    provider.claims_override = {"iss": "https://idp.elsewhere.example"}
    _sign_in(client, provider)
    assert _signed_in_as(client) is None


def test_an_id_token_for_another_client_is_refused(client, provider, alice):
    provider.claims = _claims()
    provider.claims_override = {"aud": "some-other-app"}
    _sign_in(client, provider)
    assert _signed_in_as(client) is None


@pytest.fixture
def mapping(db):
    rules = ClaimsMapping.get()
    rules.group_claim = "groups"
    rules.role_by_group = {"it-brm": "brm", "it-admins": "admin", "business-leads": "leader"}
    rules.unit_claim = "department"
    rules.save()
    return rules


def test_role_and_unit_come_from_the_claims_and_are_refreshed(client, provider, mapping):
    finance = BusinessUnitFactory.create(code="fin", name="Finance")
    sales = BusinessUnitFactory.create(code="sales", name="Sales")
    user = UserFactory.create(username="lee", email="lee@example.org")
    provider.claims = _claims(email="lee@example.org", groups=["business-leads"], department="FIN")
    _sign_in(client, provider)
    user.refresh_from_db()
    assert role_of(user) is Role.LEADER
    assert Stakeholder.objects.get(user=user).unit == finance
    assert AuditEvent.objects.filter(action="sso.claims_applied", subject_id=user.pk).exists()
    client.logout()
    provider.claims = _claims(email="lee@example.org", groups=["it-brm"], department="sales")
    _sign_in(client, provider)
    user = get_user_model().objects.get(pk=user.pk)
    assert role_of(user) is Role.BRM
    assert Stakeholder.objects.get(user=user).unit == sales


def test_a_group_no_longer_sent_takes_the_admin_role_away(client, provider, mapping, settings):
    settings.BRM_MFA_REQUIRED_ROLES = []
    user = UserFactory.create(username="ann", email="ann@example.org")
    provider.claims = _claims(email="ann@example.org", groups=["it-admins"])
    _sign_in(client, provider)
    user.refresh_from_db()
    assert user.is_staff and role_of(user) is Role.ADMIN
    client.logout()
    provider.claims = _claims(email="ann@example.org", groups=[])
    _sign_in(client, provider)
    user = get_user_model().objects.get(pk=user.pk)
    assert not user.is_staff and role_of(user) is Role.NONE


def test_a_register_entry_with_the_address_is_linked(client, provider, mapping, settings):
    settings.BRM_SSO_CREATE_USERS = True
    unit = BusinessUnitFactory.create(code="hr")
    person = StakeholderFactory.create(unit=unit, email="pat@example.org", user=None)
    provider.claims = _claims(email="pat@example.org", groups=["business-leads"])
    _sign_in(client, provider)
    person.refresh_from_db()
    assert person.user is not None and person.user.email == "pat@example.org"
    assert role_of(person.user) is Role.LEADER


def test_an_administrator_sets_the_mapping_in_the_admin_and_a_bad_role_is_refused(client):
    client.force_login(UserFactory.create(role=Role.ADMIN))
    ClaimsMapping.get()
    url = reverse("admin:accounts_claimsmapping_change", args=[1])
    bad = client.post(
        url, {"group_claim": "groups", "role_by_group": '{"x": "king"}', "unit_claim": ""}
    )
    assert bad.status_code == 200 and b"is not a role" in bad.content
    good = client.post(
        url,
        {"group_claim": "roles", "role_by_group": '{"it-brm": "brm"}', "unit_claim": "dept"},
    )
    assert good.status_code == 302
    assert ClaimsMapping.get().role_by_group == {"it-brm": "brm"}
