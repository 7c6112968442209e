"""Real-browser journey for #17: an administrator signs in with a password and, before any other
page, is sent to set up two-factor authentication (password again, then the authenticator
app's code); a wrong code is refused on the page; the strict CSP holds on every step."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from playwright.sync_api import expect

from brm.core.roles import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    code: str = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    return code


def test_an_admin_signs_in_and_sets_up_two_factor_first(page, live_server, login, settings):
    settings.BRM_MFA_REQUIRED_ROLES = ["admin"]
    admin = UserFactory.create(username="ada", first_name="Ada", role=Role.ADMIN)
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, "ada")
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("requires two-factor")
    page.get_by_label("Password").fill("pass-1234")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill("000000")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Incorrect code")).to_be_visible()
    page.get_by_label("Authenticator code").fill(_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state("networkidle")
    assert Authenticator.objects.filter(user=admin, type="totp").exists()
    page.goto(f"{live_server.url}/profile/")
    expect(page.get_by_role("heading", name="Your preferences")).to_be_visible()
    assert csp_errors == []
