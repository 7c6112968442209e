"""The handover pack email through the kernel's delivery path, its sweep, and one run through a
real worker."""

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
from brm.core import delivery
from brm.core.models import OutboundEmail
from stakeholders.models import Handover
from stakeholders.tasks import HANDOVER_PACK_EMAIL
from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory


@pytest.fixture
def handover(unit_a, brm, other_brm, admin_user):
    """Finance handed from `brm` to `other_brm`, its pack not yet sent."""
    unit_a.brm = other_brm
    unit_a.save()
    return Handover.objects.create(
        unit=unit_a, from_brm=brm, to_brm=other_brm, handed_over_by=admin_user, note="Be nice"
    )


def send_handover_pack(handover_id: int) -> bool:
    """What the queued task does for a handover's pack email (written here, as the service does)."""
    return delivery.send_now(HANDOVER_PACK_EMAIL, handover_id) == delivery.Outcome.SENT


def _queue(handover: Handover) -> OutboundEmail:
    return delivery.enqueue(HANDOVER_PACK_EMAIL, handover.pk, queue=False)


# --- The pack email ---------------------------------------------------------------------------


def test_it_emails_the_new_brm(handover, other_brm, mailoutbox):
    assert send_handover_pack(handover.pk) is True
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [other_brm.email]
    assert "Finance" in message.subject


def test_the_email_has_text_and_html_parts_naming_the_unit(handover, mailoutbox):
    send_handover_pack(handover.pk)
    message = mailoutbox[0]
    assert "Finance" in message.body
    assert "Be nice" in message.body
    assert f"/units/{handover.unit_id}/handover/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>Finance</strong>" in html
    assert "<html" not in message.body


def test_the_email_summarises_the_pack(handover, unit_a, brm, mailoutbox):
    StakeholderFactory.create(unit=unit_a, name="Nina Neverseen", influence=5)
    ActionItemFactory.create(unit=unit_a, owner=brm)
    InteractionFactory.create(unit=unit_a)
    send_handover_pack(handover.pk)
    body = mailoutbox[0].body
    assert "Nina Neverseen" in body
    assert "Open promises by IT: 1; by the business: 0" in body
    assert "Contacts in the last 90 days: 1" in body


def test_it_marks_the_pack_sent(handover, mailoutbox):
    send_handover_pack(handover.pk)
    handover.refresh_from_db()
    assert handover.pack_sent_at is not None


def test_running_it_twice_sends_once(handover, mailoutbox):
    assert send_handover_pack(handover.pk) is True
    assert send_handover_pack(handover.pk) is False
    assert len(mailoutbox) == 1


def test_it_sends_nothing_when_the_new_brm_has_no_email(handover, other_brm, mailoutbox):
    other_brm.email = ""
    other_brm.save()
    assert send_handover_pack(handover.pk) is False
    assert mailoutbox == []


def test_it_ignores_an_unknown_handover(db, mailoutbox):
    assert send_handover_pack(999_999) is False
    assert mailoutbox == []


def test_the_pack_does_not_leak_private_notes_beyond_it(handover, unit_a, mailoutbox):
    # The recipient is a BRM (IT side), but the email never carries notes anyway.
    InteractionFactory.create(unit=unit_a, notes="Confidential: CFO is leaving")
    send_handover_pack(handover.pk)
    message = mailoutbox[0]
    assert "CFO is leaving" not in message.body
    assert "CFO is leaving" not in message.alternatives[0][0]


# --- The sweep --------------------------------------------------------------------------------


def test_the_sweep_sends_only_old_pending_packs(unit_a, unit_b, brm, other_brm, mailoutbox):
    stuck = _queue(Handover.objects.create(unit=unit_a, from_brm=brm, to_brm=other_brm))
    OutboundEmail.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    _queue(Handover.objects.create(unit=unit_a, to_brm=other_brm))  # new: its own task is coming
    assert delivery.sweep() == 1
    assert [m.to for m in mailoutbox] == [[other_brm.email]]
    stuck.refresh_from_db()
    assert stuck.state == "sent"


def test_the_sweep_then_sends_each_pack_once(handover, mailoutbox):
    email = _queue(handover)
    OutboundEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert delivery.sweep() == 1
    assert delivery.sweep() == 0
    assert len(mailoutbox) == 1
    handover.refresh_from_db()
    assert handover.pack_sent_at is not None


def test_a_pack_with_nobody_to_send_to_is_skipped_not_retried(unit_b, other_brm, mailoutbox):
    nobody = Handover.objects.create(unit=unit_b, from_brm=other_brm, to_brm=None)
    assert send_handover_pack(nobody.pk) is False
    assert OutboundEmail.objects.get(ref=nobody.pk, kind=HANDOVER_PACK_EMAIL).state == "skipped"
    assert delivery.sweep() == 0
    assert mailoutbox == []


# --- A real worker on the real broker ---------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_pack_through_redis(unit_a, brm, other_brm):
    """`.delay()` publishes to Redis and a worker thread in this process consumes it.

    A queue of its own keeps this test from racing any other worker or test on the same Redis.
    """
    assert not celery_app.conf.task_always_eager
    assert celery_app.conf.broker_url.startswith("redis://")
    handover = Handover.objects.create(unit=unit_a, from_brm=brm, to_brm=other_brm)
    queue = f"test-{uuid.uuid4().hex}"
    old_routes = celery_app.conf.task_routes
    celery_app.conf.update(task_routes={delivery.deliver_email.name: {"queue": queue}})
    mail.outbox = []
    try:
        # Published before any worker exists: it can only run by travelling through Redis.
        result = delivery.deliver_email.delay(_queue(handover).pk)
        assert not isinstance(result, EagerResult)
        time.sleep(0.3)
        handover.refresh_from_db()
        assert handover.pack_sent_at is None
        with start_worker(
            celery_app,  # type: ignore[arg-type]  # Celery is invariant in its task class
            pool="solo",
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
        ):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                handover.refresh_from_db()
                if handover.pack_sent_at is not None and mail.outbox:
                    break
                time.sleep(0.1)
    finally:
        celery_app.conf.update(task_routes=old_routes)
        # kombu leaves the queue's binding sets behind; don't litter the shared Redis.
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
    assert handover.pack_sent_at is not None, "the worker did not run the task within 20 s"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [other_brm.email]
    assert "Finance" in mail.outbox[0].subject
