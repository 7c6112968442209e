from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reviews.ics import escape_text, review_ics
from tests.factories import ServiceReviewFactory


def test_it_escapes_text_values():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@pytest.mark.django_db
def test_it_writes_a_valid_event_with_crlf_lines_and_folding(unit_a):
    review = ServiceReviewFactory.create(
        unit=unit_a,
        scheduled_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        duration_minutes=90,
        agenda="Availability, incidents; renewals\n" + "x" * 120,
    )
    body = review_ics(review, attendees=[("Carla Ortiz", "carla@example.org")])
    lines = body.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert "DTSTART:20261201T093000Z" in lines
    assert "DTEND:20261201T110000Z" in lines
    assert 'ORGANIZER;CN="Bianca Reyes":mailto:brm@example.org' in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert (
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        'CN="Carla Ortiz":mailto:carla@example.org' in unfolded
    )
    assert "Availability\\, incidents\\; renewals\\n" in unfolded
