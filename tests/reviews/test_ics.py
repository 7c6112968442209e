"""The review invitation follows RFC 5545/5546: parsed back with `icalendar`; hostile text can
never add lines or properties; ORGANIZER always present; times carry their zone; a move is a
REQUEST with the same UID and a higher SEQUENCE, a cancellation a METHOD:CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from reviews import services
from reviews.ics import review_ics, review_recipients
from reviews.models import ServiceReview
from tests.factories import ServiceReviewFactory, StakeholderFactory, UserFactory
from tests.mail import send_queued

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOSTILE = 'Evil\r\nATTENDEE:mailto:evil@example.org\nX-INJECT:1;a,b "q" ' + "ü" * 80


def _event(text: str):
    cal = Calendar.from_ical(text)
    [event] = cal.walk("VEVENT")
    return cal, event


@pytest.mark.django_db
def test_it_writes_a_valid_event_with_crlf_lines_and_folding(unit_a):
    review = ServiceReviewFactory.create(
        unit=unit_a,
        scheduled_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        duration_minutes=90,
        agenda="Availability, incidents; renewals\n" + "x" * 120,
    )
    body = review_ics(review, attendees=[("Carla Ortiz", "carla@example.org")])
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    cal, event = _event(body)
    assert cal["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == "mailto:brm@example.org"
    assert event["ORGANIZER"].params["CN"] == "Bianca Reyes"
    assert "Availability, incidents; renewals\n" in str(event["DESCRIPTION"])
    [attendee] = [event["ATTENDEE"]]
    assert str(attendee) == "mailto:carla@example.org"


@pytest.mark.django_db
def test_hostile_text_never_adds_lines_or_properties(unit_a):
    unit_a.name = HOSTILE[:110]
    unit_a.save()
    review = ServiceReviewFactory.create(
        unit=unit_a,
        scheduled_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        location=HOSTILE,
        agenda=HOSTILE,
    )
    body = review_ics(review, attendees=[(HOSTILE, "carla@example.org")])
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    cal, event = _event(body)
    assert "X-INJECT" not in event
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:carla@example.org"]
    assert "\n" not in attendees[0].params["CN"] and "\r" not in attendees[0].params["CN"]
    flat = HOSTILE.replace("\r\n", "\n")  # a line break is kept as one escaped newline
    assert str(event["LOCATION"]) == flat
    assert flat in str(event["DESCRIPTION"])
    unfolded = body.replace("\r\n ", "")
    assert not any(line.startswith(("ATTENDEE:", "X-INJECT")) for line in unfolded.split("\r\n"))


@pytest.mark.django_db
def test_a_unit_without_a_brm_still_has_an_organizer(settings):
    settings.CALENDAR_ORGANIZER_EMAIL = "reviews@example.org"
    review = ServiceReviewFactory.create(scheduled_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    review.unit.brm = None
    _cal, event = _event(review_ics(review))
    assert str(event["ORGANIZER"]) == "mailto:reviews@example.org"


@pytest.mark.django_db
def test_times_carry_their_zone_with_a_vtimezone(unit_a, settings):
    settings.TIME_ZONE = "Europe/London"
    review = ServiceReviewFactory.create(
        unit=unit_a, scheduled_at=datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
    )
    with timezone.override("Europe/London"):
        body = review_ics(review)
    cal, event = _event(body)
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert "DTSTART;TZID=Europe/London:20260701T150000" in body
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert event.decoded("DTSTART") == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_inactive_people_are_not_attendees(unit_a, brm):
    review = ServiceReviewFactory.create(unit=unit_a)
    gone = UserFactory.create(username="gone", is_active=False)
    review.it_attendees.add(gone)
    left = StakeholderFactory.create(unit=unit_a, active=False)
    here = StakeholderFactory.create(unit=unit_a)
    review.attendees.add(left, here)
    emails = [e for _n, e in review_recipients(review)]
    assert brm.email in emails and here.email in emails
    assert gone.email not in emails and left.email not in emails


@pytest.mark.django_db(transaction=True)
def test_moving_and_cancelling_send_an_update_and_a_cancel(unit_a, brm, cfo):
    with time_machine.travel(NOW, tick=False), send_queued():
        review = services.plan_review(
            unit_a, actor=brm, scheduled_at=NOW + timedelta(days=10), attendees=[cfo]
        )
        assert review.sequence == 0 and mail.outbox == []
        services.update_review(review, actor=brm, fields={"scheduled_at": NOW + timedelta(days=12)})
        moved = {m.to[0]: m for m in mail.outbox}
        assert sorted(moved) == ["brm@example.org", "carla@example.org"]
        _cal, event = _event(moved["carla@example.org"].attachments[0][1])
        assert str(event["UID"]) == review.ical_uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == NOW + timedelta(days=12)
        # Changing only the agenda is no reschedule: nothing more is sent.
        services.update_review(review, actor=brm, fields={"agenda": "New agenda"})
        assert len(mail.outbox) == 2
        mail.outbox.clear()
        services.cancel_review(review, actor=brm)
    assert ServiceReview.objects.get(pk=review.pk).sequence == 2
    [cancel] = [m for m in mail.outbox if m.to == ["carla@example.org"]]
    assert "Cancelled" in cancel.subject
    cal, event = _event(cancel.attachments[0][1])
    assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2 and str(event["UID"]) == review.ical_uid
    assert cancel.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
