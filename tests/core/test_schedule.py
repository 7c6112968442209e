"""The kernel's calendar arithmetic (`brm.core.schedule`): recurrences keep their local
wall-clock time and their anchor; working time skips nights, weekends and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from brm.core.schedule import (
    PublicHolidays,
    WorkingCalendar,
    add_local_days,
    add_working_time,
    next_after,
    nth_occurrence,
    week_start,
    working_time_between,
)

LONDON = ZoneInfo("Europe/London")
QUARTER = relativedelta(months=3)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_every_three_months_from_31_august_keeps_the_anchor_and_the_hour():
    anchor = london(2026, 8, 31, 9, 0)  # summer time
    runs = [nth_occurrence(anchor, QUARTER, n, LONDON) for n in range(5)]
    assert [(r.date(), r.time()) for r in runs] == [
        (date(2026, 8, 31), time(9, 0)),
        (date(2026, 11, 30), time(9, 0)),  # winter time: still 09:00 local
        (date(2027, 2, 28), time(9, 0)),
        (date(2027, 5, 31), time(9, 0)),  # back to the 31st: counted from the anchor
        (date(2027, 8, 31), time(9, 0)),
    ]
    assert runs[1].utcoffset() == timedelta(0) and runs[3].utcoffset() == timedelta(hours=1)


def test_a_31st_anchor_monthly_clamps_each_occurrence_on_its_own():
    anchor = london(2027, 1, 31, 14, 30)
    months = [nth_occurrence(anchor, relativedelta(months=1), n, LONDON).date() for n in range(4)]
    assert months == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


@pytest.mark.parametrize(
    ("anchor", "step", "expected"),
    [
        # 120 days across the March change: 15:00 stays 15:00 (not 16:00).
        (london(2026, 11, 30, 15, 0), 120, london(2027, 3, 30, 15, 0)),
        # A week across 2027-03-28 (clocks forward) and across 2027-10-31 (clocks back).
        (london(2027, 3, 21, 9, 0), 7, london(2027, 3, 28, 9, 0)),
        (london(2027, 10, 24, 9, 0), 7, london(2027, 10, 31, 9, 0)),
        (london(2027, 10, 30, 18, 0), 1, london(2027, 10, 31, 18, 0)),
    ],
)
def test_day_steps_keep_the_wall_clock_time_across_summer_time(anchor, step, expected):
    got = nth_occurrence(anchor, step, 1, LONDON)
    assert got == expected
    assert got.astimezone(LONDON).time() == anchor.time()
    assert add_local_days(anchor, step, LONDON) == expected


def test_a_time_the_clocks_skip_moves_forward_and_a_repeated_one_takes_summer_time():
    # 01:30 does not exist on 2027-03-28 in London: a wall clock reads 02:30 BST then.
    skipped = nth_occurrence(london(2027, 3, 21, 1, 30), 7, 1, LONDON)
    assert skipped == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(LONDON).time() == time(2, 30)
    # 01:30 happens twice on 2027-10-31: the first (BST, 00:30 UTC). (PEP 495: a time in the
    # fold never equals one in another zone, so compare in UTC.)
    repeated = nth_occurrence(london(2027, 10, 24, 1, 30), 7, 1, LONDON)
    assert repeated.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_next_after_lands_on_the_grid_counted_from_the_anchor():
    anchor = london(2026, 8, 31, 9, 0)
    assert next_after(anchor, QUARTER, london(2026, 8, 31, 9, 0), LONDON) == london(
        2026, 11, 30, 9, 0
    )
    # A schedule that slipped by months catches up in one step, still on the 31st grid.
    assert next_after(anchor, QUARTER, london(2027, 3, 15, 0, 0), LONDON) == london(
        2027, 5, 31, 9, 0
    )
    assert next_after(anchor, QUARTER, london(2026, 1, 1, 0, 0), LONDON) == anchor
    assert next_after(anchor, 10, london(2027, 4, 1), LONDON) == london(2027, 4, 8, 9, 0)


def test_it_refuses_naive_times_and_steps_that_do_not_move_forward():
    with pytest.raises(ValueError, match="aware"):
        nth_occurrence(datetime(2027, 1, 1), 7, 1, LONDON)
    with pytest.raises(ValueError, match="forward"):
        nth_occurrence(london(2027, 1, 1), 0, 1, LONDON)
    with pytest.raises(ValueError, match="0 or more"):
        nth_occurrence(london(2027, 1, 1), 7, -1, LONDON)


def test_the_digest_week_starts_on_the_local_monday():
    assert week_start(date(2027, 3, 28)) == date(2027, 3, 22)  # a Sunday
    assert week_start(date(2027, 3, 29)) == date(2027, 3, 29)  # a Monday


OFFICE = WorkingCalendar(holidays=PublicHolidays("GB", "ENG"), tz=LONDON)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Friday 17:30 + 8 working hours: Monday 17:00, not Saturday 01:30.
        (london(2026, 11, 27, 17, 30), 8, london(2026, 11, 30, 17, 0)),
        # Friday 15:00 + 4 h: 2 h on Friday, 2 h on Monday.
        (london(2026, 11, 27, 15, 0), 4, london(2026, 11, 30, 11, 0)),
        # Before the May Day bank holiday (Mon 3 May 2027): Tuesday.
        (london(2027, 4, 30, 17, 30), 8, london(2027, 5, 4, 17, 0)),
        # Easter: Good Friday and Easter Monday 2027 are off.
        (london(2027, 3, 25, 16, 0), 3, london(2027, 3, 30, 11, 0)),
        # Across the clocks going back (Sun 31 Oct 2027): working hours are local hours.
        (london(2027, 10, 29, 13, 0), 6, london(2027, 11, 1, 11, 0)),
        # Saturday: the clock starts on Monday morning.
        (london(2026, 11, 28, 10, 0), 1, london(2026, 11, 30, 10, 0)),
    ],
)
def test_working_time_skips_nights_weekends_and_public_holidays(start, hours, expected):
    assert add_working_time(start, timedelta(hours=hours), OFFICE) == expected
    assert working_time_between(start, expected, OFFICE) == timedelta(hours=hours)


def test_round_the_clock_counts_every_hour():
    start = london(2026, 11, 27, 17, 30)
    calendar = WorkingCalendar(round_the_clock=True)
    assert add_working_time(start, timedelta(hours=1), calendar) == london(2026, 11, 27, 18, 30)


def test_extra_holidays_and_custom_hours_count():
    calendar = WorkingCalendar(
        weekdays=frozenset({1, 2, 3, 4}),
        day_start=time(8, 0),
        day_end=time(12, 0),
        holidays=PublicHolidays("", "", extra=[date(2026, 12, 1)]),
        tz=LONDON,
    )
    # Mon 30 Nov 11:00 + 2 h: 1 h Monday, Tuesday 1 Dec is off, 1 h Wednesday.
    assert add_working_time(london(2026, 11, 30, 11, 0), timedelta(hours=2), calendar) == london(
        2026, 12, 2, 9, 0
    )


def test_a_calendar_without_working_time_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(weekdays=frozenset())
    with pytest.raises(ValueError):
        WorkingCalendar(day_start=time(17, 0), day_end=time(9, 0))
