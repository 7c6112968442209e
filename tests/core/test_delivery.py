"""The kernel's one delivery path: claim, send, mark sent only after the server accepted, retry,
release a dead worker's claim with the same Message-ID, and one winner among concurrent claims."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import connections

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.models import DeliveryState, OutboundEmail
from tests.mail import refusing_mail, send_queued

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIND = "test.note"
SENT_FACTS: list[tuple[int, datetime]] = []  # what `on_sent` recorded, as a business row would


def compose_note(row: OutboundEmail) -> Outgoing | None:
    """A composer as an app writes one: None when there is nobody to send to."""
    if not row.to:
        return None
    email = EmailMultiAlternatives(subject=f"Note {row.ref}", body="Hello.", to=[row.to])
    email.attach_alternative("<p>Hello.</p>", "text/html")
    email.attach("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    return Outgoing(email, lambda sent_at: SENT_FACTS.append((row.ref, sent_at)))


def compose_broken(row: OutboundEmail) -> Outgoing | None:
    raise RuntimeError("template missing")


@pytest.fixture(autouse=True)
def test_kinds(settings):
    settings.DELIVERY_COMPOSERS = {
        **django_settings.DELIVERY_COMPOSERS,
        KIND: "tests.core.test_delivery.compose_note",
        "test.broken": "tests.core.test_delivery.compose_broken",
    }
    SENT_FACTS.clear()


def _queue(ref: int = 1, to: str = "ann@example.org") -> OutboundEmail:
    return delivery.enqueue(KIND, ref, to=to, queue=False)


def _row(row: OutboundEmail) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=row.pk)


# --- Normal running ---------------------------------------------------------------------------


def test_it_sends_once_when_run_twice(db, mailoutbox):
    row = _queue()
    assert delivery.deliver_email(row.pk) is True
    assert delivery.deliver_email(row.pk) is False
    [message] = mailoutbox
    assert message.to == ["ann@example.org"]
    sent = _row(row)
    assert (sent.state, sent.attempts, sent.recipients) == ("sent", 1, "ann@example.org")
    assert sent.sent_at is not None and sent.claimed_at is not None
    assert [(1, sent.sent_at)] == SENT_FACTS  # the business fact, once, at the same moment


def test_it_sends_the_stored_message_id(db, mailoutbox):
    row = _queue()
    assert row.message_id.startswith("<") and row.message_id.endswith("@localhost>")
    delivery.deliver(row.pk)
    [message] = mailoutbox
    assert message.message()["Message-ID"] == row.message_id


def test_attachments_and_alternatives_go_out(db, mailoutbox):
    delivery.deliver(_queue().pk)
    [message] = mailoutbox
    assert message.alternatives[0][1] == "text/html"
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("invite.ics", "text/calendar")
    assert "BEGIN:VCALENDAR" in content


def test_queueing_the_same_key_twice_yields_one_row(db):
    assert _queue().pk == _queue().pk
    assert OutboundEmail.objects.count() == 1


def test_it_queues_the_send_only_after_commit(db, django_capture_on_commit_callbacks):
    with send_queued() as delay, django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = delivery.enqueue(KIND, 7, to="ann@example.org")
        delay.assert_not_called()
    assert len(callbacks) == 1
    delay.assert_called_once_with(row.pk)
    assert _row(row).state == "sent"


def test_it_refuses_an_unknown_kind(db):
    with pytest.raises(ValueError, match="DELIVERY_COMPOSERS"):
        delivery.enqueue("nobody.knows", 1)
    assert not OutboundEmail.objects.exists()


def test_nobody_to_send_to_is_skipped_for_good(db, mailoutbox):
    row = _queue(to="")
    assert delivery.deliver(row.pk) is False
    assert _row(row).state == "skipped"
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(hours=1)):
        assert delivery.sweep() == 0
    assert mailoutbox == [] and SENT_FACTS == []


# --- Failures ---------------------------------------------------------------------------------


def test_it_is_never_marked_sent_when_the_mail_server_refused(db, settings, mailoutbox):
    refusing_mail(settings)
    row = _queue()
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver(row.pk) is False
    failed = _row(row)
    assert failed.state == "pending" and failed.sent_at is None and failed.recipients == ""
    assert failed.attempts == 1 and "ConnectionRefusedError: smtp down" in failed.last_error
    assert failed.retry_after == T0 + timedelta(seconds=60)
    assert SENT_FACTS == []


def test_a_failed_send_is_sent_later_with_the_same_message_id(db, settings, mailoutbox):
    saved = settings.MAILERS
    refusing_mail(settings)
    row = _queue()
    with time_machine.travel(T0, tick=False):
        delivery.deliver(row.pk)
    settings.MAILERS = saved
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert delivery.sweep() == 0  # still waiting out its retry delay
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert delivery.sweep() == 1
        assert delivery.sweep() == 0
    [message] = mailoutbox
    assert message.extra_headers["Message-ID"] == row.message_id
    done = _row(row)
    assert (done.state, done.attempts, done.last_error) == ("sent", 2, "")


def test_a_composer_that_raises_is_retried_like_a_send(db, mailoutbox):
    row = delivery.enqueue("test.broken", 1, queue=False)
    assert delivery.deliver(row.pk) is False
    broken = _row(row)
    assert broken.state == "pending" and "template missing" in broken.last_error


def test_it_gives_up_after_the_cap(db, settings, mailoutbox):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    refusing_mail(settings)
    with time_machine.travel(T0 - timedelta(minutes=5), tick=False):
        row = _queue()
    for hour in range(3):
        with time_machine.travel(T0 + timedelta(hours=hour), tick=False):
            assert delivery.sweep() == 0
    gave_up = _row(row)
    assert (gave_up.state, gave_up.attempts) == ("failed", 3)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert delivery.due_ids() == []


# --- A worker that died -----------------------------------------------------------------------


def _die_while_sending(row: OutboundEmail, claimed_at: datetime) -> None:
    """What a worker killed after its claim (maybe after the server accepted) leaves behind."""
    OutboundEmail.objects.filter(pk=row.pk).update(
        state=DeliveryState.SENDING, claimed_at=claimed_at, attempts=1
    )


def test_a_dead_workers_claim_is_sent_once_by_the_sweep_with_the_same_message_id(db, mailoutbox):
    row = _queue()
    _die_while_sending(row, T0 - timedelta(minutes=10))
    with time_machine.travel(T0, tick=False):
        assert delivery.sweep() == 1
        assert delivery.sweep() == 0
    [message] = mailoutbox
    assert message.message()["Message-ID"] == row.message_id
    done = _row(row)
    assert (done.state, done.attempts) == ("sent", 2)
    assert [ref for ref, _ in SENT_FACTS] == [1]


def test_a_live_claim_is_left_to_its_worker(db, mailoutbox):
    row = _queue()
    _die_while_sending(row, T0 - timedelta(minutes=2))
    with time_machine.travel(T0, tick=False):
        assert delivery.release_stale_claims() == 0
        assert delivery.sweep() == 0
    assert _row(row).state == "sending"
    assert mailoutbox == []


def test_the_claim_timeout_is_a_setting(db, settings, mailoutbox):
    settings.DELIVERY_CLAIM_TIMEOUT = 60
    row = _queue()
    _die_while_sending(row, T0 - timedelta(minutes=2))
    with time_machine.travel(T0, tick=False):
        assert delivery.release_stale_claims() == 1
    assert _row(row).state == "pending"


def test_a_message_that_keeps_killing_its_worker_stops_at_the_cap(db, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 1
    row = _queue()
    _die_while_sending(row, T0 - timedelta(minutes=10))
    with time_machine.travel(T0, tick=False):
        assert delivery.sweep() == 0
    assert _row(row).state == "failed"


def test_an_administrator_can_send_failed_emails_again(db, settings, admin_client, mailoutbox):
    settings.DELIVERY_MAX_ATTEMPTS = 1
    saved = settings.MAILERS
    refusing_mail(settings)
    row = _queue()
    delivery.deliver(row.pk)
    assert _row(row).state == "failed"
    settings.MAILERS = saved
    page = admin_client.get("/admin/core/outboundemail/")
    assert page.status_code == 200 and row.key in page.content.decode()
    response = admin_client.post(
        "/admin/core/outboundemail/",
        {"action": "send_again", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    again = _row(row)
    assert (again.state, again.attempts, again.message_id) == ("pending", 0, row.message_id)
    assert delivery.deliver(row.pk) is True
    assert len(mailoutbox) == 1


def test_staff_without_the_permission_cannot_send_again(db, client, brm):
    brm.is_staff = True
    brm.save()
    client.force_login(brm)
    assert client.get("/admin/core/outboundemail/").status_code == 403


def test_the_sweep_runs_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-outbound-emails"]
    assert entry == {"task": "brm.core.sweep_outbound_emails", "schedule": 60.0}
    assert delivery.sweep_outbound_emails.name == "brm.core.sweep_outbound_emails"


# --- Two workers at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_claims_on_two_connections_one_wins():
    """Two threads, each with its own database connection, claim the same row at once."""
    row = _queue()
    start = threading.Barrier(2)
    results: list[Any] = []

    def claim() -> None:
        try:
            start.wait(timeout=10)
            results.append(delivery.claim(row.pk))
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == [False, True]
    claimed = OutboundEmail.objects.get(pk=row.pk)
    assert (claimed.state, claimed.attempts) == ("sending", 1)
