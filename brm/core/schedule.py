"""Calendar arithmetic: recurring dates in local wall-clock time, and working time.

The one place where the product adds days, months or working hours to a moment. Every schedule
(the next review from a unit's cadence, review reminders, survey campaign runs, the weekly
digest) and every complaint deadline is computed here, never by adding a `timedelta` to a UTC
instant elsewhere.

Two rules hold throughout:

- A recurrence keeps its local wall-clock time: a review held at 15:00 in London is followed by
  one at 15:00 local, whether summer time began in between or not. Arithmetic happens on the
  naive local time (python-dateutil's `relativedelta`), then the result is placed back in the
  configured time zone (`zoneinfo`, ``settings.TIME_ZONE``).
- A recurrence is computed from its anchor (its first date), never from the previous,
  already-adjusted occurrence: "every 3 months from 31 Aug" gives 30 Nov, 28 Feb, 31 May and 31 Aug
  (the n-th occurrence is anchor + n x step, clamped to the month's end only for that occurrence).

Local times that do not exist (the hour skipped when clocks go forward) move forward by the gap,
as a wall clock would; ambiguous ones (the hour repeated when clocks go back) take the first,
summer-time reading (PEP 495 ``fold=0``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from dateutil.relativedelta import MO, relativedelta
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, Func, Value
from django.db.models.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from django.db.models.sql.compiler import _AsSqlType  # the stubs' (sql, params) alias

# A step larger than this many occurrences is a programming error, not a schedule.
_MAX_OCCURRENCES = 100_000


def local_zone(tz: tzinfo | str | None = None) -> tzinfo:
    """The time zone schedules are computed in: `tz` (a tzinfo or an IANA name) if given,
    otherwise ``settings.TIME_ZONE`` (the site's configured local time zone)."""
    if tz is None:
        return ZoneInfo(settings.TIME_ZONE)
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


def _require_aware(when: datetime, name: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {when!r}.")


def localize(wall: datetime, tz: tzinfo | str | None = None) -> datetime:
    """Place a naive local wall-clock time in `tz` (default the site's), as an aware datetime.

    A time inside the spring-forward gap moves forward by the gap (01:30 on a day London skips
    01:00-02:00 becomes 02:30 BST); an ambiguous time takes its first reading (``fold=0``).
    """
    zone = local_zone(tz)
    aware = wall.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC: a non-existent wall time comes back shifted by the gap.
    return aware.astimezone(UTC).astimezone(zone)


def to_local(instant: datetime, tz: tzinfo | str | None = None) -> datetime:
    """`instant` (aware) as naive wall-clock time in `tz` (default the site's)."""
    _require_aware(instant, "instant")
    return instant.astimezone(local_zone(tz)).replace(tzinfo=None)


def as_step(step: relativedelta | timedelta | int) -> relativedelta:
    """A recurrence step as a `relativedelta`: an int is that many (calendar) days, a
    `timedelta` its days and seconds. Raises ValueError for a step that does not move forward."""
    if isinstance(step, int):
        rd = relativedelta(days=step)
    elif isinstance(step, timedelta):
        rd = relativedelta(days=step.days, seconds=step.seconds, microseconds=step.microseconds)
    else:
        rd = step
    probe = datetime(2000, 1, 31)
    if probe + rd <= probe:
        raise ValueError(f"A recurrence step must move forward, got {rd!r}.")
    return rd


def nth_occurrence(
    anchor: datetime,
    step: relativedelta | timedelta | int,
    n: int,
    tz: tzinfo | str | None = None,
) -> datetime:
    """The `n`-th occurrence (n=0 is the anchor itself) of a recurrence every `step` from
    `anchor`, in local wall-clock time of `tz` (default ``settings.TIME_ZONE``).

    `anchor` is an aware datetime; `step` a `relativedelta` (``relativedelta(months=3)``), a
    `timedelta` or an int number of days. Computed as anchor + n x step on the local wall time,
    so month ends clamp per occurrence (31 Aug + 6 months = 28 Feb, + 9 months = 31 May) and the
    hour survives summer time. Returns an aware datetime in `tz`. Raises ValueError for a naive
    anchor, a negative `n` or a step that does not move forward.
    """
    _require_aware(anchor, "anchor")
    if n < 0:
        raise ValueError("n counts occurrences from the anchor: 0 or more.")
    rd = as_step(step)
    wall = to_local(anchor, tz)
    return localize(wall + rd * n, tz)


def next_after(
    anchor: datetime,
    step: relativedelta | timedelta | int,
    after: datetime,
    tz: tzinfo | str | None = None,
) -> datetime:
    """The first occurrence of the recurrence (`nth_occurrence`) strictly later than `after`.

    A schedule that slipped (a job that did not run for a while) lands on its grid again in one
    step: the answer is always an occurrence counted from `anchor`, never `after` + step.
    Returns the anchor itself if it is later than `after`.
    """
    _require_aware(after, "after")
    rd = as_step(step)
    first = nth_occurrence(anchor, rd, 0, tz)
    if first > after:
        return first
    # Estimate n from the step's approximate length, then walk to the exact occurrence.
    approx = (datetime(2001, 1, 1) + rd) - datetime(2001, 1, 1)
    n = max(1, int((after - first) / approx) - 1)
    while n > 1 and nth_occurrence(anchor, rd, n - 1, tz) > after:
        n -= 1
    for _ in range(_MAX_OCCURRENCES):
        candidate = nth_occurrence(anchor, rd, n, tz)
        if candidate > after:
            return candidate
        n += 1
    raise ValueError("The recurrence does not reach the given time.")


def add_local_days(instant: datetime, days: int, tz: tzinfo | str | None = None) -> datetime:
    """`instant` moved by `days` calendar days in local time, keeping its wall-clock time
    (15:00 on 30 Nov + 120 days = 15:00 on 30 Mar, though summer time began in between).
    Negative `days` move back. Returns an aware datetime in `tz` (default the site's)."""
    _require_aware(instant, "instant")
    return localize(to_local(instant, tz) + relativedelta(days=days), tz)


def start_of_local_day(day: date, tz: tzinfo | str | None = None) -> datetime:
    """Midnight (or the first existing moment) of `day` in `tz`, aware."""
    return localize(datetime.combine(day, time.min), tz)


def week_start(day: date) -> date:
    """The Monday (ISO 8601 week start) on or before `day`: the weekly digest's week."""
    return day + relativedelta(weekday=MO(-1))


class AddLocalDays(Func):
    """SQL: a timestamp column plus an integer column of days, in local wall-clock time.

    ``AddLocalDays("created_at", "review_cadence_days")`` is `add_local_days` computed in the
    database (PostgreSQL: ``((ts AT TIME ZONE tz) + n days) AT TIME ZONE tz``), so a list of units
    gets its review due dates in one query by the same rule. SQLite (no time zone support) adds
    the days to the UTC instant.
    """

    output_field = DateTimeField()

    def __init__(self, instant: Any, days: Any, tz: str | None = None, **extra: Any) -> None:
        super().__init__(instant, days, Value(tz or settings.TIME_ZONE), **extra)

    def as_sql(  # type: ignore[override]  # Func.as_sql's extra keywords (function=, template=) are not used here
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        instant, days, zone = self.source_expressions
        ts_sql, ts_params = compiler.compile(instant)
        days_sql, days_params = compiler.compile(days)
        tz_sql, tz_params = compiler.compile(zone)
        sql = (
            f"((({ts_sql}) AT TIME ZONE {tz_sql}) + ({days_sql}) * INTERVAL '1 day') "
            f"AT TIME ZONE {tz_sql}"
        )
        return sql, (*ts_params, *tz_params, *days_params, *tz_params)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        instant, days, _zone = self.source_expressions
        ts_sql, ts_params = compiler.compile(instant)
        days_sql, days_params = compiler.compile(days)
        sql = f"datetime({ts_sql}, '+' || ({days_sql}) || ' days')"
        return sql, (*ts_params, *days_params)


# --- Working time ------------------------------------------------------------------------------


class PublicHolidays(Container[date]):
    """The days off of a working calendar: a country's public holidays from the `holidays`
    package (ISO 3166 country code, optional subdivision such as ``"ENG"``), plus extra dates
    an administrator entered. Supports ``day in calendar_holidays``."""

    def __init__(
        self, country: str = "", subdivision: str = "", extra: Iterable[date] = ()
    ) -> None:
        self.extra = frozenset(extra)
        self.country = country
        self._country: Container[date] | None = (
            holiday_calendars.country_holidays(country, subdiv=subdivision or None)
            if country
            else None
        )

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self.extra or (self._country is not None and day in self._country)


@dataclass(frozen=True)
class WorkingCalendar:
    """When work happens: ISO weekdays (1 = Monday ... 7 = Sunday), daily hours
    [`day_start`, `day_end`) in local time of `tz`, and `holidays` (days off).

    ``round_the_clock=True`` makes every moment working time (a critical complaint's targets).
    Raises ValueError when the calendar has no working time at all (no days, or an end not
    after the start), which would make every deadline infinite.
    """

    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    holidays: Container[date] = field(default_factory=frozenset)
    tz: tzinfo | str | None = None
    round_the_clock: bool = False

    def __post_init__(self) -> None:
        if self.round_the_clock:
            return
        if not self.weekdays or not set(self.weekdays) <= set(range(1, 8)):
            raise ValueError("A working calendar needs working weekdays between 1 and 7.")
        if self.day_end <= self.day_start:
            raise ValueError("A working day ends after it starts.")

    def is_working_day(self, day: date) -> bool:
        """A working weekday that is not a holiday."""
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day` as aware instants, or None on a day off."""
        if not self.is_working_day(day):
            return None
        return (
            localize(datetime.combine(day, self.day_start), self.tz),
            localize(datetime.combine(day, self.day_end), self.tz),
        )


ROUND_THE_CLOCK = WorkingCalendar(round_the_clock=True)


def add_working_time(start: datetime, duration: timedelta, calendar: WorkingCalendar) -> datetime:
    """The moment `duration` of working time after `start` (aware), by `calendar`.

    Only time inside the calendar's working hours counts: 8 working hours from Friday 17:30
    (hours 09:00-17:00, Monday to Friday) end on Monday at 17:00, or Tuesday at 17:00 when
    Monday is a public holiday. A round-the-clock calendar counts elapsed time. A zero duration
    starting outside working hours gives the next start of work. Returns an aware datetime in
    the calendar's time zone (UTC for round the clock). Raises ValueError for a naive `start` or
    a negative duration. ISO 10002 response times are published in working time like this.
    """
    _require_aware(start, "start")
    if duration < timedelta(0):
        raise ValueError("A duration of working time is 0 or more.")
    if calendar.round_the_clock:
        return start + duration
    remaining = duration
    day = to_local(start, calendar.tz).date()
    for _ in range(366 * 20):  # a calendar with working time reaches any duration long before
        hours = calendar.window(day)
        if hours is not None:
            opens, closes = hours
            begin = max(start, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("The working calendar has too little working time for this duration.")


def working_time_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    """How much working time of `calendar` lies between `start` and `end` (aware; 0 if `end`
    is not later): the inverse of `add_working_time`, for "how late in working hours"."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return timedelta(0)
    if calendar.round_the_clock:
        return end - start
    total = timedelta(0)
    day = to_local(start, calendar.tz).date()
    last = to_local(end, calendar.tz).date()
    while day <= last:
        hours = calendar.window(day)
        if hours is not None:
            begin, finish = max(start, hours[0]), min(end, hours[1])
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
