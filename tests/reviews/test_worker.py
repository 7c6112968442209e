"""The reminder job through a real Celery worker on the Redis broker from settings."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.conf import settings
from django.core import mail
from django.utils import timezone

from brm.celery import app as celery_app
from reviews import services
from reviews.models import ReviewNotice
from reviews.tasks import send_review_reminders

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_it_sends_reminders_once_through_a_real_worker(unit_a, brm, cfo):
    """Two runs published to Redis, consumed by a worker thread in this process: one email each.

    A queue of its own keeps this test from racing any other worker or test on the same Redis.
    """
    assert not celery_app.conf.task_always_eager
    assert celery_app.conf.broker_url.startswith("redis://")
    services.plan_review(
        unit_a, actor=brm, scheduled_at=timezone.now() + timedelta(days=1), attendees=[cfo]
    )
    queue = f"test-{uuid.uuid4().hex}"
    old_routes = celery_app.conf.task_routes
    celery_app.conf.update(task_routes={send_review_reminders.name: {"queue": queue}})
    mail.outbox = []
    try:
        first = send_review_reminders.delay()
        send_review_reminders.delay()  # the rerun: must find both notices already claimed
        assert not isinstance(first, EagerResult)
        time.sleep(0.3)
        assert not ReviewNotice.objects.exists()  # nothing runs until a worker consumes it
        with start_worker(
            celery_app,  # type: ignore[arg-type]  # Celery is invariant in its task class
            pool="solo",
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
        ):
            sent = _wait_for(
                lambda: (
                    ReviewNotice.objects.filter(sent_at__isnull=False).count() == 2
                    and len(mail.outbox) >= 2
                )
            )
            # Let the second run finish before the worker stops.
            _wait_for(lambda: not redis.Redis.from_url(settings.REDIS_URL).llen(queue), seconds=10)
            time.sleep(0.5)
    finally:
        celery_app.conf.update(task_routes=old_routes)
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
    assert sent, "the worker did not run the task within 20 s"
    assert sorted(m.to[0] for m in mail.outbox) == ["brm@example.org", "carla@example.org"]
    assert ReviewNotice.objects.count() == 2
