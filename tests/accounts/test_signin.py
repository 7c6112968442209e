"""Sign-in with django-allauth: the login page (username or email), the old login names,
password reset by email (same answer for unknown addresses, single-use, expiring link),
password change, and local passwords switched off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from brm.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()  # allauth counts attempts in the default cache
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return UserFactory.create(username="alice", email="alice@example.org", role=Role.BRM)


def test_it_signs_in_with_a_username(client, alice):
    response = client.post(LOGIN, {"login": "alice", "password": "pass-1234"})
    assert response.status_code == 302
    assert client.get(reverse("core:profile")).status_code == 200


def test_it_signs_in_with_an_email_address(client, alice):
    response = client.post(LOGIN, {"login": "ALICE@example.org", "password": "pass-1234"})
    assert response.status_code == 302
    assert client.get(reverse("core:profile")).status_code == 200


def test_it_refuses_a_wrong_password_on_the_page(client, alice):
    response = client.post(LOGIN, {"login": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert client.get(reverse("core:profile")).status_code == 302


def test_the_old_login_names_and_paths_still_work(client):
    assert reverse("login") == LOGIN
    assert reverse("logout") == "/accounts/logout/"
    response = client.get(reverse("core:profile"))
    assert response["Location"] == f"{LOGIN}?next=/profile/"
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert b'name="login"' in page.content and b"Forgot your password?" in page.content


def test_the_admin_signs_in_through_the_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_signed_in_user_without_admin_rights_gets_403_from_the_admin_login(client, alice):
    client.force_login(alice)
    assert client.get("/admin/login/").status_code == 403


def _reset(client, address):
    return client.post(reverse("account_reset_password"), {"email": address})


def _link(mail) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.body).group(1)


def test_a_reset_answers_the_same_for_a_known_and_an_unknown_address(client, alice, mailoutbox):
    known = _reset(client, "alice@example.org")
    unknown = _reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@example.org"]


def test_a_reset_link_sets_a_new_password_once(client, alice, mailoutbox):
    _reset(client, "alice@example.org")
    link = _link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new = {"password1": "a-Much-better-one-42", "password2": "a-Much-better-one-42"}
    done = client.post(action, new)
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-Much-better-one-42")
    client.logout()
    again = client.get(link, follow=True)
    assert b"Bad Token" in again.content and b'name="password1"' not in again.content
    client.post(action, {"password1": "x-Other-pw-99", "password2": "x-Other-pw-99"})
    alice.refresh_from_db()
    assert alice.check_password("a-Much-better-one-42")


def test_a_reset_link_expires(client, alice, mailoutbox, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _reset(client, "alice@example.org")
        link = _link(mailoutbox[0])
        clock.shift(timedelta(hours=1, minutes=1))
        page = client.get(link, follow=True)
    assert b"Bad Token" in page.content and b'name="password1"' not in page.content


def test_it_changes_a_password_only_with_the_current_one(client, alice):
    client.force_login(alice)
    url = reverse("account_change_password")
    wrong = client.post(
        url, {"oldpassword": "nope", "password1": "n3w-Secret-pw", "password2": "n3w-Secret-pw"}
    )
    assert wrong.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("pass-1234")
    right = client.post(
        url,
        {"oldpassword": "pass-1234", "password1": "n3w-Secret-pw", "password2": "n3w-Secret-pw"},
    )
    assert right.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("n3w-Secret-pw")


def test_nobody_signs_up(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert b"Sign Up Closed" in response.content and b'name="password1"' not in response.content


def test_local_passwords_can_be_switched_off(client, alice, settings):
    settings.SOCIALACCOUNT_ONLY = True
    page = client.get(LOGIN)
    assert b'name="password"' not in page.content
    client.post(LOGIN, {"login": "alice", "password": "pass-1234"})
    assert client.get(reverse("core:profile")).status_code == 302
