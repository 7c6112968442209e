"""Webhooks end to end: queued after commit, sent by a real Celery worker on Redis, once."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from brm.celery import app as celery_app
from brm.webhooks.models import DeliveryState, WebhookDelivery
from brm.webhooks.sending import deliver_webhook
from complaints.services import ComplaintInput, file_complaint

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_committed_event_is_sent_once_by_a_real_worker(
    allow_local, receiver, subscribe, unit_a, brm
):
    assert not celery_app.conf.task_always_eager
    _, secret = subscribe(receiver.url, ["complaint.filed"])
    queue = f"test-{uuid.uuid4().hex}"
    old_routes = celery_app.conf.task_routes
    celery_app.conf.update(task_routes={deliver_webhook.name: {"queue": queue}})
    try:
        # The service's transaction commits, then the delivery task is published to Redis.
        file_complaint(
            ComplaintInput(
                unit=unit_a, title="Lost mail", description="All of it.", severity="low"
            ),
            actor=brm,
        )
        delivery = WebhookDelivery.objects.get()
        deliver_webhook.delay(delivery.pk)  # the same job queued twice
        time.sleep(0.3)
        assert receiver.requests == []  # nothing is sent until a worker takes the task
        with start_worker(
            celery_app,  # type: ignore[arg-type]  # Celery is invariant in its task class
            pool="solo",
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
        ):
            sent = _wait_for(
                lambda: WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).exists()
            )
            _wait_for(lambda: not redis.Redis.from_url(settings.REDIS_URL).llen(queue), seconds=10)
            time.sleep(0.5)
    finally:
        celery_app.conf.update(task_routes=old_routes)
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
    assert sent, "the worker did not deliver within 20 s"
    (request,) = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "complaint.filed"
