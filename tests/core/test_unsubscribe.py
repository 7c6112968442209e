"""The unsubscribe link: signed, works without login, GET confirms, POST (and the RFC 8058
one-click POST) stops the kind; forged tokens change nothing; required kinds cannot be refused."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from brm.core import delivery
from brm.core.models import AddressOptOut, DeliveryMode, UserPreference
from tests.factories import StakeholderFactory, UserFactory


def _path(address: str, kind: str) -> str:
    return delivery.unsubscribe_url(address, kind).removeprefix(settings.SITE_URL)


def test_a_get_asks_and_changes_nothing(client, db):
    user = UserFactory.create(username="reader")
    response = client.get(_path(user.email, "health.digest"))
    assert response.status_code == 200
    assert b"Unsubscribe" in response.content
    assert not UserPreference.objects.filter(user=user).exists()


def test_a_one_click_post_without_login_or_csrf_unsubscribes_the_user(db):
    user = UserFactory.create(username="reader")
    client = Client(enforce_csrf_checks=True)
    response = client.post(_path(user.email, "health.digest"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    pref = UserPreference.objects.get(user=user)
    assert pref.mode("health.digest") == DeliveryMode.OFF
    assert pref.mode("reviews.notice") == DeliveryMode.IMMEDIATE
    assert delivery.recipients_for("health.digest", [user.email]) == []


def test_a_stakeholder_without_a_login_is_unsubscribed_by_address(client, db):
    person = StakeholderFactory.create(email="Sam@Example.org")
    client.post(_path(person.email, "satisfaction.reminder"))
    assert AddressOptOut.objects.filter(email="sam@example.org").exists()
    assert delivery.recipients_for("satisfaction.reminder", [person.email]) == []
    assert delivery.recipients_for("satisfaction.invitation", [person.email]) != []


def test_a_forged_or_altered_token_changes_nothing(client, db):
    user = UserFactory.create(username="victim")
    path = _path(user.email, "health.digest")
    assert client.post(path[:-3] + "xx/").status_code == 404
    assert client.post("/unsubscribe/not-a-token/").status_code == 404
    assert not UserPreference.objects.filter(user=user).exists()


def test_a_required_kind_cannot_be_refused(client, db):
    user = UserFactory.create(username="complainant")
    client.post(_path(user.email, "complaints.notification"))
    assert delivery.recipients_for("complaints.notification", [user.email]) != []
    assert delivery.unsubscribe(user.email, "complaints.notification") == 0
