"""The webhook API: administrators only; the secret appears once; logs and re-sending."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from brm.webhooks import sending
from brm.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from complaints.services import ComplaintInput, file_complaint

pytestmark = pytest.mark.django_db

SUBS = "/api/v1/webhook-subscriptions/"
DELIVERIES = "/api/v1/webhook-deliveries/"
ATTEMPTS = "/api/v1/webhook-attempts/"


def _new(client, **fields):
    body = {"url": "https://hooks.example.com/brm", "event_types": ["complaint.filed"], **fields}
    return client.post(SUBS, body, format="json")


@pytest.fixture
def one_delivery(allow_local, receiver, subscribe, unit_a, brm):
    subscription, _ = subscribe(receiver.url, ["complaint.filed"])
    file_complaint(
        ComplaintInput(unit=unit_a, title="Late", description="Very.", severity="low"), actor=brm
    )
    delivery = WebhookDelivery.objects.get()
    receiver.answer(500, body=b"oops")
    sending.deliver(delivery.pk)
    return delivery


def test_an_administrator_creates_a_subscription_and_sees_its_secret_once(
    as_user, webhook_admin, unit_a
):
    client = as_user(webhook_admin)
    created = _new(client, units=[unit_a.pk], description="ITSM")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["units"] == [unit_a.pk] and body["active"] is True
    assert body["owner"] == webhook_admin.pk
    shown = client.get(f"{SUBS}{body['id']}/").json()
    assert "secret" not in shown and body["secret"] not in str(client.get(SUBS).content)


@pytest.mark.parametrize("persona", ["brm", "executive", "integration", "leader", "no_role_user"])
def test_other_roles_may_not_see_or_manage_webhooks(request, as_user, persona, one_delivery):
    client = as_user(request.getfixturevalue(persona))
    subscription = WebhookSubscription.objects.get()
    assert client.get(SUBS).status_code == 403
    assert client.get(f"{SUBS}{subscription.pk}/").status_code == 403
    assert _new(client).status_code == 403
    assert client.post(f"{SUBS}{subscription.pk}/rotate-secret/").status_code == 403
    assert client.post(f"{SUBS}{subscription.pk}/disable/").status_code == 403
    assert client.get(DELIVERIES).status_code == 403
    assert client.post(f"{DELIVERIES}{one_delivery.pk}/redeliver/").status_code == 403
    assert client.get(ATTEMPTS).status_code == 403
    assert WebhookSubscription.objects.count() == 1 and subscription.active


def test_anonymous_callers_get_401():
    client = APIClient()
    assert client.get(SUBS).status_code == 401
    assert client.get(DELIVERIES).status_code == 401


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://169.254.169.254/"}, "url"),
        ({"event_types": ["complaint.deleted"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"description": "two\nlines"}, "description"),
    ],
)
def test_bad_input_is_a_400_on_its_field(as_user, webhook_admin, fields, field):
    answer = _new(as_user(webhook_admin), **fields)
    assert answer.status_code == 400
    assert field in answer.json()
    assert WebhookSubscription.objects.count() == 0


def test_it_changes_rotates_disables_and_enables(as_user, webhook_admin, unit_b):
    client = as_user(webhook_admin)
    created = _new(client).json()
    url = f"{SUBS}{created['id']}/"
    changed = client.patch(url, {"units": [unit_b.pk], "event_types": ["review.held"]})
    assert changed.status_code == 200
    assert changed.json()["units"] == [unit_b.pk]
    assert changed.json()["event_types"] == ["review.held"]

    rotated = client.post(f"{url}rotate-secret/", {"overlap_seconds": 600})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    stored = WebhookSubscription.objects.get()
    assert stored.previous_secret == created["secret"] and stored.secret == rotated.json()["secret"]

    off = client.post(f"{url}disable/")
    assert off.status_code == 200 and off.json()["active"] is False
    assert off.json()["disabled_at"] is not None
    on = client.post(f"{url}enable/")
    assert on.status_code == 200 and on.json()["active"] is True
    assert on.json()["failure_count"] == 0


def test_deliveries_show_every_attempt_and_can_be_sent_again(
    as_user, webhook_admin, one_delivery, receiver
):
    client = as_user(webhook_admin)
    listed = client.get(DELIVERIES, {"state": "pending"})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    detail = client.get(f"{DELIVERIES}{one_delivery.pk}/").json()
    assert detail["event_type"] == "complaint.filed"
    assert detail["payload"]["type"] == "complaint.filed"
    (attempt,) = detail["attempt_log"]
    assert attempt["status_code"] == 500 and attempt["response_excerpt"] == "oops"
    assert attempt["will_retry"] is True and attempt["duration_ms"] >= 0
    attempts = client.get(ATTEMPTS, {"delivery": one_delivery.pk}).json()
    assert attempts["count"] == 1

    # Still pending (waiting for its retry): re-sending now would be a second copy.
    assert client.post(f"{DELIVERIES}{one_delivery.pk}/redeliver/").status_code == 409
    WebhookDelivery.objects.filter(pk=one_delivery.pk).update(state=DeliveryState.FAILED)
    again = client.post(f"{DELIVERIES}{one_delivery.pk}/redeliver/")
    assert again.status_code == 202
    assert again.json()["state"] == "pending" and again.json()["next_attempt_at"] is None
    assert sending.deliver(one_delivery.pk) is True
    assert len(receiver.requests) == 2


def test_a_delivery_of_a_disabled_subscription_is_not_resent(as_user, webhook_admin, one_delivery):
    client = as_user(webhook_admin)
    client.post(f"{SUBS}{one_delivery.subscription_id}/disable/")
    one_delivery.refresh_from_db()
    assert one_delivery.state == DeliveryState.CANCELLED
    answer = client.post(f"{DELIVERIES}{one_delivery.pk}/redeliver/")
    assert answer.status_code == 409
    assert "enable it first" in answer.json()["detail"]


def test_lists_use_a_fixed_number_of_queries(
    as_user, webhook_admin, one_delivery, django_assert_num_queries, subscribe
):
    client = as_user(webhook_admin)
    subscribe("https://hooks.example.com/a", ["review.held"])
    client.get(SUBS)  # the token records its first use once
    # token lookup, count, page, units prefetch: the same with one subscription or a hundred
    with django_assert_num_queries(4):
        assert client.get(SUBS).json()["count"] == 2
    # token lookup, count, page, attempts prefetch
    with django_assert_num_queries(4):
        assert client.get(DELIVERIES).json()["count"] == 1
