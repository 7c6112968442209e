"""Deliveries to a real HTTP receiver: signatures, retries, give-up, disable, once-only sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from brm.core.models import OutboundEmail
from brm.webhooks import sending, services
from brm.webhooks.emails import compose_disabled
from brm.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery
from complaints.services import ComplaintInput, file_complaint

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def _file(unit, actor, title="Printer on fire"):
    return file_complaint(
        ComplaintInput(unit=unit, title=title, description="Smoke.", severity="high"),
        actor=actor,
    )


def _only_delivery():
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


def _verify(secret, request):
    """The receiver's check, with the independent reference implementation."""
    return Webhook(secret).verify(request.body, request.headers)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_it_sends_a_signed_standard_webhook_the_reference_library_accepts(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    subscription, secret = subscribe(receiver.url, ["complaint.filed"])
    complaint = _file(unit_a, brm)
    delivery = _only_delivery()

    assert sending.deliver(delivery.pk) is True

    (request,) = receiver.requests
    body = _verify(secret, request)
    assert body["type"] == "complaint.filed"
    assert body["timestamp"] == "2027-03-10T09:00:00Z"
    assert body["data"]["id"] == complaint.pk
    assert body["data"]["reference"] == complaint.reference
    assert body["data"]["url"].endswith(f"/api/v1/complaints/{complaint.pk}/")
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.last_status == 200
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.response_excerpt == "thanks"
    assert attempt.will_retry is False and attempt.duration_ms >= 0


def test_the_data_is_the_resource_as_the_api_shows_it(
    clock, allow_local, receiver, subscribe, unit_a, brm, webhook_admin, as_user
):
    subscribe(receiver.url, ["complaint.filed"])
    complaint = _file(unit_a, brm)
    data = dict(_only_delivery().payload["data"])
    assert data.pop("url").endswith(f"/api/v1/complaints/{complaint.pk}/")
    api = as_user(webhook_admin).get(f"/api/v1/complaints/{complaint.pk}/")
    assert api.status_code == 200
    assert data == json.loads(api.content)


def test_the_receiver_rejects_an_unsigned_a_tampered_and_a_replayed_message(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    _, secret = subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    sending.deliver(_only_delivery().pk)
    (request,) = receiver.requests
    _verify(secret, request)  # the genuine one passes

    unsigned = {k: v for k, v in request.headers.items() if k != "webhook-signature"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body, unsigned)
    tampered = request.body.replace(b"Printer on fire", b"Printer is fine")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFB" * 8).verify(request.body, request.headers)  # another key
    # The same message captured and replayed ten minutes later: its timestamp is too old.
    clock.shift(timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(request.body, request.headers)


def test_a_receiver_that_fails_then_asks_to_wait_then_recovers_gets_it_once(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    _, secret = subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    delivery = _only_delivery()
    receiver.answer(500, body=b"database down")
    receiver.answer(429, {"Retry-After": "120"}, b"slow down")
    # then 200 (the receiver's default)

    assert sending.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    wait = (delivery.next_attempt_at - T0).total_seconds()
    assert 24 <= wait <= 36  # 30 s with +-20 % jitter
    # Not due yet: neither a task nor the sweep sends it early.
    assert sending.deliver(delivery.pk) is False
    assert sending.sweep() == 0
    assert len(receiver.requests) == 1

    clock.move_to(delivery.next_attempt_at)
    second = timezone.now()
    assert sending.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == second + timedelta(seconds=120)  # Retry-After honoured

    clock.move_to(delivery.next_attempt_at)
    assert sending.sweep() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 3
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.status_code for a in attempts] == [500, 429, 200]
    assert [a.will_retry for a in attempts] == [True, True, False]
    assert attempts[0].response_excerpt == "database down"
    # One message: the same webhook-id every time, each attempt freshly signed and verifiable.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3
    _verify(secret, receiver.requests[-1])


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_it_retries_server_errors_and_timeouts_by_status(
    clock, allow_local, receiver, subscribe, unit_a, brm, status
):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    receiver.answer(status)
    sending.deliver(_only_delivery().pk)
    assert _only_delivery().state == DeliveryState.PENDING


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_it_does_not_retry_a_client_error(
    clock, allow_local, receiver, subscribe, unit_a, brm, status
):
    subscription, _ = subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    receiver.answer(status, body=b"no such hook")
    assert sending.deliver(_only_delivery().pk) is False
    delivery = _only_delivery()
    assert delivery.state == DeliveryState.FAILED and delivery.last_status == status
    clock.shift(timedelta(days=2))
    assert sending.sweep() == 0
    assert len(receiver.requests) == 1
    subscription.refresh_from_db()
    assert subscription.failure_count == 1


def test_it_retries_a_connection_error(clock, allow_local, subscribe, unit_a, brm):
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    subscribe(f"http://127.0.0.1:{port}/hook", ["complaint.filed"])
    _file(unit_a, brm)
    sending.deliver(_only_delivery().pk)
    delivery = _only_delivery()
    assert delivery.state == DeliveryState.PENDING
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code is None and "connect" in attempt.error.lower()


def test_it_backs_off_exponentially_and_gives_up_after_about_a_day(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    delivery = _only_delivery()
    for _ in range(40):
        receiver.answer(503)
    waits = []
    while True:
        sending.deliver(delivery.pk)
        delivery.refresh_from_db()
        if delivery.state != DeliveryState.PENDING:
            break
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        clock.move_to(delivery.next_attempt_at)
    assert delivery.state == DeliveryState.FAILED
    elapsed = timezone.now() - T0
    assert timedelta(hours=18) < elapsed <= timedelta(hours=24)
    # Doubling, with jitter, up to the cap of 4 hours.
    for earlier, later in zip(waits[:6], waits[1:7], strict=True):
        assert 1.3 < later / earlier < 3.1
    assert max(waits) <= 4 * 3600 * 1.2
    assert len(waits) + 1 == delivery.attempts == len(receiver.requests)


def test_a_redirect_is_not_followed(clock, allow_local, receiver, subscribe, unit_a, brm):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    receiver.answer(302, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})
    assert sending.deliver(_only_delivery().pk) is False
    assert [r.path for r in receiver.requests] == ["/hook"]
    delivery = _only_delivery()
    assert delivery.state == DeliveryState.FAILED and delivery.last_status == 302
    assert "redirects are not followed" in delivery.last_error


def test_a_job_run_twice_sends_once(clock, allow_local, receiver, subscribe, unit_a, brm):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    pk = _only_delivery().pk
    assert sending.deliver_webhook.run(pk) is True
    assert sending.deliver_webhook.run(pk) is False
    assert sending.sweep() == 0
    assert len(receiver.requests) == 1


def test_a_delivery_claimed_by_another_worker_is_left_alone_until_its_claim_is_stale(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    pk = _only_delivery().pk
    assert sending.claim(pk, timezone.now())  # another worker holds it, then dies
    assert sending.deliver(pk) is False and sending.sweep() == 0
    clock.shift(timedelta(minutes=6))
    assert sending.sweep() == 1
    assert len(receiver.requests) == 1


def test_a_subscription_that_keeps_failing_is_disabled_and_its_owner_told(
    clock, allow_local, receiver, subscribe, unit_a, brm, settings, webhook_admin
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    subscription, _ = subscribe(receiver.url, ["complaint.filed"])
    for title in ("One", "Two", "Three"):
        _file(unit_a, brm, title=title)
    first, second, third = WebhookDelivery.objects.order_by("pk")
    receiver.answer(410)
    receiver.answer(410)
    sending.deliver(first.pk)
    subscription.refresh_from_db()
    assert subscription.active and subscription.failure_count == 1
    sending.deliver(second.pk)
    subscription.refresh_from_db()
    assert subscription.active is False and subscription.disabled_at == timezone.now()
    third.refresh_from_db()
    assert third.state == DeliveryState.CANCELLED
    (row,) = OutboundEmail.objects.filter(kind="webhooks.disabled")
    outgoing = compose_disabled(row)
    assert outgoing is not None
    assert outgoing.email.to == ["ops@example.com"]
    assert receiver.url in outgoing.email.body and "2 deliveries in a row" in outgoing.email.body
    # Nothing more is recorded for a disabled subscription.
    _file(unit_a, brm, title="Four")
    assert WebhookDelivery.objects.count() == 3
    # Enabled again and re-sent, the cancelled one arrives and the count starts over.
    services.set_active(subscription, True, actor=webhook_admin)
    services.redeliver(third, actor=webhook_admin)
    assert sending.deliver(third.pk) is True
    subscription.refresh_from_db()
    assert subscription.failure_count == 0


def test_a_success_resets_the_failure_count(clock, allow_local, receiver, subscribe, unit_a, brm):
    subscription, _ = subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm, title="One")
    _file(unit_a, brm, title="Two")
    first, second = WebhookDelivery.objects.order_by("pk")
    receiver.answer(404)
    sending.deliver(first.pk)
    sending.deliver(second.pk)
    subscription.refresh_from_db()
    assert subscription.failure_count == 0


def test_redeliver_sends_the_same_message_again(
    clock, allow_local, receiver, subscribe, unit_a, brm, webhook_admin
):
    _, secret = subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    delivery = _only_delivery()
    sending.deliver(delivery.pk)
    clock.shift(timedelta(hours=1))
    services.redeliver(delivery, actor=webhook_admin)
    assert sending.deliver(delivery.pk) is True
    first, again = receiver.requests
    assert first.body == again.body
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert _verify(secret, again)["type"] == "complaint.filed"


def test_during_a_rotation_overlap_both_secrets_verify_then_only_the_new_one(
    clock, allow_local, receiver, subscribe, unit_a, brm, webhook_admin
):
    subscription, old = subscribe(receiver.url, ["complaint.filed"])
    new = services.rotate_secret(subscription, actor=webhook_admin, overlap_for=timedelta(hours=1))
    assert new != old and new.startswith("whsec_")
    _file(unit_a, brm, title="During")
    sending.deliver(_only_delivery().pk)
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    _verify(old, during)
    _verify(new, during)

    clock.shift(timedelta(hours=2))
    WebhookDelivery.objects.all().delete()
    _file(unit_a, brm, title="After")
    sending.deliver(_only_delivery().pk)
    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    _verify(new, after)
    with pytest.raises(WebhookVerificationError):
        _verify(old, after)


def test_only_the_start_of_a_large_answer_is_read_and_kept(
    clock, allow_local, receiver, subscribe, unit_a, brm
):
    subscribe(receiver.url, ["complaint.filed"])
    _file(unit_a, brm)
    receiver.answer(200, body=b"x" * 2_000_000)
    assert sending.deliver(_only_delivery().pk) is True
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.response_excerpt == "x" * 1000
