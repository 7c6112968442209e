"""The nightly retention run: removes only what is older than each period, says what it
removed (log and audit log), and finds nothing more the second time. Frozen clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from brm.celery import app as celery_app
from brm.core.models import AuditEvent, DeferredEmail, Notification, OutboundEmail
from brm.privacy.models import RetentionSettings
from brm.privacy.services import apply_retention, years_before
from brm.privacy.tasks import apply_retention_task
from complaints.models import Complaint, ComplaintEvent
from reviews.models import ServiceReview
from stakeholders.models import Interaction
from tests.factories import ComplaintFactory, InteractionFactory, ServiceReviewFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 2, 30, tzinfo=UTC)
DAY = timedelta(days=1)
HistoricalReview = ServiceReview.history.model


@pytest.fixture
def records(unit_a):
    """For each kind of record, one just past its period (defaults: 3, 6, 2 years, 90 days)
    and one just inside it."""
    with time_machine.travel(NOW - timedelta(days=4000), tick=False):
        old_complaint = ComplaintFactory.create(unit=unit_a, description="Old words")
        new_complaint = ComplaintFactory.create(unit=unit_a, description="Recent words")
        open_complaint = ComplaintFactory.create(unit=unit_a, description="Still open")
        ComplaintEvent.objects.create(complaint=old_complaint, kind="comment", comment="Old note")
    Complaint.objects.filter(pk=old_complaint.pk).update(
        status="closed", closed_at=years_before(NOW, 2) - DAY, resolution="Fixed it"
    )
    Complaint.objects.filter(pk=new_complaint.pk).update(
        status="closed", closed_at=years_before(NOW, 2) + DAY, resolution="Fixed too"
    )
    old_meeting = InteractionFactory.create(
        unit=unit_a, occurred_at=years_before(NOW, 3) - DAY, notes="Old private note"
    )
    new_meeting = InteractionFactory.create(
        unit=unit_a, occurred_at=years_before(NOW, 3) + DAY, notes="Recent private note"
    )
    old_review = ServiceReviewFactory.create(
        unit=unit_a, scheduled_at=years_before(NOW, 6) - 2 * DAY, minutes="Old minutes"
    )
    old_review.status, old_review.held_at = "held", years_before(NOW, 6) - DAY
    old_review.save()  # the history row holds the minutes too
    new_review = ServiceReviewFactory.create(
        unit=unit_a,
        scheduled_at=years_before(NOW, 6),
        status="held",
        held_at=years_before(NOW, 6) + DAY,
        minutes="Recent minutes",
    )
    emails = {}
    for name, age, state in [
        ("old_sent", 91, "sent"),
        ("new_sent", 89, "sent"),
        ("old_pending", 91, "pending"),
    ]:
        with time_machine.travel(NOW - age * DAY, tick=False):
            emails[name] = OutboundEmail.objects.create(
                kind="x", ref=1, key=name, message_id=f"<{name}>", state=state
            ).pk
            DeferredEmail.objects.create(
                email="a@b.example", kind="x", subject=name, body="", summarised_at=NOW - age * DAY
            )
    with time_machine.travel(NOW - 91 * DAY, tick=False):
        in_inbox = OutboundEmail.objects.create(
            kind="x", ref=1, key="old_in_inbox", message_id="<old_in_inbox>", state="sent"
        )
    Notification.objects.create(user=unit_a.brm, email=in_inbox, kind="x", subject="s")
    return {
        "complaints": (old_complaint.pk, new_complaint.pk, open_complaint.pk),
        "meetings": (old_meeting.pk, new_meeting.pk),
        "reviews": (old_review.pk, new_review.pk),
        "emails": emails,
    }


def test_it_removes_only_what_is_older_than_each_period(records) -> None:
    with time_machine.travel(NOW, tick=False):
        removed = apply_retention()
    assert removed == {
        "meeting_notes": 1,
        "review_minutes": 1,
        "complaint_texts": 1,
        "read_notifications": 0,
        "unread_notifications": 0,
        "email_copies": 3,  # the old sent email and the two old summarised copies
    }
    old_meeting, new_meeting = records["meetings"]
    assert Interaction.objects.get(pk=old_meeting).notes == ""
    assert Interaction.objects.get(pk=new_meeting).notes == "Recent private note"
    old_review, new_review = records["reviews"]
    assert ServiceReview.objects.get(pk=old_review).minutes == ""
    assert set(
        HistoricalReview.objects.filter(id=old_review).values_list("minutes", flat=True)
    ) == {""}
    assert ServiceReview.objects.get(pk=new_review).minutes == "Recent minutes"
    old_c, new_c, open_c = records["complaints"]
    old = Complaint.objects.get(pk=old_c)
    assert (old.description, old.resolution) == ("[removed: retention period over]",) * 2
    assert old.title  # the figures and title stay
    assert ComplaintEvent.objects.get(complaint=old_c).comment.startswith("[removed")
    assert Complaint.objects.get(pk=new_c).description == "Recent words"
    assert Complaint.objects.get(pk=open_c).description == "Still open"
    left = set(OutboundEmail.objects.values_list("key", flat=True))
    # A pending email is never dropped, nor one still shown in an inbox.
    assert left == {"new_sent", "old_pending", "old_in_inbox"}
    assert set(DeferredEmail.objects.values_list("subject", flat=True)) == {"new_sent"}


def test_it_says_what_it_removed(records, caplog) -> None:
    with time_machine.travel(NOW, tick=False), caplog.at_level(logging.INFO):
        removed = apply_retention_task()
    event = AuditEvent.objects.get(action="privacy.retention")
    assert event.details == {"removed": removed}
    assert event.actor is None and event.at == NOW
    assert any("Retention removed" in r.message for r in caplog.records)


def test_a_second_run_removes_nothing(records) -> None:
    with time_machine.travel(NOW, tick=False):
        apply_retention()
        again = apply_retention()
    assert again == {
        "meeting_notes": 0,
        "review_minutes": 0,
        "complaint_texts": 0,
        "read_notifications": 0,
        "unread_notifications": 0,
        "email_copies": 0,
    }
    assert AuditEvent.objects.filter(action="privacy.retention").count() == 2


def test_zero_keeps_for_ever(records) -> None:
    RetentionSettings.objects.update_or_create(
        pk=1,
        defaults={
            "meeting_notes_years": 0,
            "review_minutes_years": 0,
            "closed_complaint_text_years": 0,
            "outbox_days": 0,
            "inbox_read_days": 0,
            "inbox_unread_days": 0,
        },
    )
    with time_machine.travel(NOW, tick=False):
        assert apply_retention() == {}
    assert Interaction.objects.get(pk=records["meetings"][0]).notes == "Old private note"


@pytest.fixture
def inbox(brm):
    """Notifications around each period (defaults: read 90 days ago, unread received 365 days
    ago), each on its own sent email: {name: notification pk}."""
    items = {}
    for name, received, read in [
        ("read_long_ago", 200, 91),
        ("received_long_ago_read_lately", 200, 89),
        ("unread_past_a_year", 366, None),
        ("unread_within_a_year", 364, None),
    ]:
        email = OutboundEmail.objects.create(
            kind="x", ref=1, key=name, message_id=f"<{name}>", state="sent"
        )
        item = Notification.objects.create(user=brm, email=email, kind="x", subject=name)
        moment = NOW - received * DAY
        OutboundEmail.objects.filter(pk=email.pk).update(created_at=moment)
        Notification.objects.filter(pk=item.pk).update(
            created_at=moment, read_at=NOW - read * DAY if read else None
        )
        items[name] = item.pk
    return items


def test_it_deletes_read_notifications_after_their_period_and_unread_ones_later(inbox) -> None:
    """Read more than 90 days ago goes (when it was received does not matter: one read last
    month stays); unread goes after a year; their email copies go the same night."""
    with time_machine.travel(NOW, tick=False):
        removed = apply_retention()
        again = apply_retention()
    assert (removed["read_notifications"], removed["unread_notifications"]) == (1, 1)
    assert removed["email_copies"] == 2  # the two emails no inbox shows any more
    assert set(Notification.objects.values_list("subject", flat=True)) == {
        "received_long_ago_read_lately",
        "unread_within_a_year",
    }
    assert (again["read_notifications"], again["unread_notifications"]) == (0, 0)
    assert again["email_copies"] == 0


def test_zero_keeps_notifications_for_ever(inbox) -> None:
    RetentionSettings.objects.update_or_create(
        pk=1, defaults={"inbox_read_days": 0, "inbox_unread_days": 0}
    )
    with time_machine.travel(NOW, tick=False):
        removed = apply_retention()
    assert "read_notifications" not in removed and "unread_notifications" not in removed
    assert Notification.objects.count() == 4


def test_the_job_runs_nightly(settings) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert entry["task"] == apply_retention_task.name
    celery_app.loader.import_default_modules()  # what a worker does at start
    assert entry["task"] in celery_app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})


def test_a_leap_day_moves_to_the_28th() -> None:
    assert years_before(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
