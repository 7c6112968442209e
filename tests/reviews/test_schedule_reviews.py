"""Review schedules keep local wall-clock time (issue 11): the next review after holding one,
the unit's due date, and reminders N days ahead are counted in local calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reviews import services
from reviews.models import ReviewSettings
from reviews.notices import send_review_notices
from reviews.selectors import with_review_schedule
from stakeholders.models import BusinessUnit

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def london_time(settings):
    settings.TIME_ZONE = "Europe/London"


def _hold_at(unit, brm, when):
    """Plan a review for `when` (a month before), hold it just after; the following one."""
    with time_machine.travel(when - timedelta(days=30), tick=False):
        review = services.plan_review(
            unit,
            actor=brm,
            scheduled_at=when,
            period_start=date(2026, 1, 1),
            period_end=(when - timedelta(days=1)).date(),
        )
    with time_machine.travel(when + timedelta(minutes=90), tick=False):
        _, following = services.hold_review(review, actor=brm, minutes="Held.")
    return following


@pytest.mark.parametrize(
    ("held", "cadence", "next_at"),
    [
        # The example: 30 Nov 15:00 + 120 days is 30 Mar 15:00 BST, not 16:00.
        (london(2026, 11, 30, 15, 0), 120, london(2027, 3, 30, 15, 0)),
        # Across the clocks going back (31 Oct 2027): 10:00 BST + 90 days is 10:00 GMT.
        (london(2027, 9, 1, 10, 0), 90, london(2027, 11, 30, 10, 0)),
        # A short cadence over the spring change (28 Mar 2027).
        (london(2027, 3, 22, 9, 30), 7, london(2027, 3, 29, 9, 30)),
    ],
)
def test_the_next_review_keeps_the_local_time_of_the_one_held(unit_a, brm, held, cadence, next_at):
    BusinessUnit.objects.filter(pk=unit_a.pk).update(review_cadence_days=cadence)
    unit_a.refresh_from_db()
    following = _hold_at(unit_a, brm, held)
    assert following is not None
    assert following.scheduled_at == next_at
    assert following.scheduled_at.astimezone(LONDON).time() == held.time()


def test_the_units_due_date_is_one_cadence_in_local_days(unit_a, brm):
    BusinessUnit.objects.filter(pk=unit_a.pk).update(review_cadence_days=120)
    unit_a.refresh_from_db()
    following = _hold_at(unit_a, brm, london(2026, 11, 30, 15, 0))
    following.delete()  # none planned: the due date comes from the last held review
    row = with_review_schedule(BusinessUnit.objects.filter(pk=unit_a.pk)).get()
    assert row.next_due_at == london(2027, 3, 30, 15, 0)
    # Late from 15:00 local on the due day, not from 16:00.
    late = with_review_schedule(
        BusinessUnit.objects.filter(pk=unit_a.pk), london(2027, 3, 30, 15, 30)
    ).get()
    assert late.review_late is True


def test_reminders_go_out_n_local_days_ahead(unit_a, brm):
    conf = ReviewSettings.get()
    conf.reminder_days_ahead = 7
    conf.save()
    with time_machine.travel(london(2027, 3, 1, 12, 0), tick=False):
        services.plan_review(unit_a, actor=brm, scheduled_at=london(2027, 3, 30, 15, 30))
    # Tuesday 23 Mar 15:00 GMT + 7 local days = 30 Mar 15:00 BST: the 15:30 review is not
    # within it yet (adding 7 x 24 h to the UTC instant would reach 16:00 BST and remind).
    with time_machine.travel(datetime(2027, 3, 23, 15, 0, tzinfo=UTC), tick=False):
        assert send_review_notices().reminders == []
    with time_machine.travel(datetime(2027, 3, 23, 15, 30, tzinfo=UTC), tick=False):
        assert send_review_notices().reminders != []
