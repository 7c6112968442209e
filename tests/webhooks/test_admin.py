"""The webhook admin: administrators create (secret shown once), rotate, see every attempt."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from brm.core.roles import Role
from brm.webhooks import sending
from brm.webhooks.models import WebhookDelivery, WebhookSubscription
from complaints.services import ComplaintInput, file_complaint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, webhook_admin):
    webhook_admin.is_superuser = True
    webhook_admin.save()
    client.force_login(webhook_admin)
    return client


def test_creating_a_subscription_shows_the_secret_once(staff, unit_a):
    answer = staff.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {
            "url": "https://hooks.example.com/admin",
            "description": "ITSM",
            "event_types": ["complaint.filed", "review.held"],
            "units": [unit_a.pk],
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["complaint.filed", "review.held"]
    assert list(subscription.units.all()) == [unit_a]
    notes = [str(m) for m in get_messages(answer.wsgi_request)]
    assert any(subscription.secret in n and "will not be shown again" in n for n in notes)
    change = reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    assert subscription.secret in staff.get(change).content.decode()  # the message, once
    assert subscription.secret not in staff.get(change).content.decode()  # never again


def test_the_admin_refuses_an_internal_address(staff):
    answer = staff.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"url": "http://169.254.169.254/", "event_types": ["complaint.filed"]},
    )
    assert answer.status_code == 200
    assert "metadata" in answer.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_rotating_in_the_admin_shows_the_new_secret(staff, subscribe):
    subscription, old = subscribe("https://hooks.example.com/a", ["complaint.filed"])
    answer = staff.post(
        reverse("admin:webhooks_webhooksubscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
    )
    assert answer.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.previous_secret == old
    notes = [str(m) for m in get_messages(answer.wsgi_request)]
    assert any(subscription.secret in n for n in notes)


def test_a_delivery_page_lists_its_attempts_and_can_be_resent(
    staff, allow_local, receiver, subscribe, unit_a, brm
):
    subscribe(receiver.url, ["complaint.filed"])
    file_complaint(
        ComplaintInput(unit=unit_a, title="Late", description="Very.", severity="low"), actor=brm
    )
    delivery = WebhookDelivery.objects.get()
    receiver.answer(404, body=b"no such hook here")
    sending.deliver(delivery.pk)
    page = staff.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert "no such hook here" in page.content.decode()
    staff.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert sending.deliver(delivery.pk) is True


def test_other_staff_roles_do_not_see_webhooks(client):
    brm_user = UserFactory.create(username="brmstaff", role=Role.BRM)
    client.force_login(brm_user)
    assert client.get(reverse("admin:webhooks_webhooksubscription_changelist")).status_code in {
        302,
        403,
    }
