"""Read-side queries of service reviews: the list, the unit schedule, the month view, the pack.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from calendar import Calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from brm.core import statements
from brm.core.counting import count_of, through_rows
from brm.core.roles import Role, role_of
from brm.core.schedule import AddLocalDays, to_local
from brm.core.search import DEFAULT_LIMIT, SearchHit, SearchResults, text_search
from portfolio.models import Service
from portfolio.selectors.catalogue import pack_for, performance_pack
from reviews.models import (
    REVIEW_SEARCH,
    ChangeRequest,
    ReviewCommitment,
    ReviewStatus,
    ServiceReview,
    ServiceReviewQuerySet,
    overdue_condition,
    overdue_cutoff,
)
from stakeholders.models import BusinessUnit, Stakeholder, managed_by
from stakeholders.selectors import (
    TimelineSQL,
    json_datetime,
    per_managed_unit,
    timeline_source,
    whole_unit_visible,
)

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def review_rows(user: AnyUser) -> ServiceReviewQuerySet:
    """Reviews the user may see, newest first, with the services they may see (one query plus
    one prefetch): what the API lists, and what `review_list` adds the page's columns to."""
    return (
        ServiceReview.objects.visible_to(user)
        # A leader sees only the services their unit consumes, here as in the catalogue.
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.visible_to(user).only("id", "name"))
        )
        .order_by("-scheduled_at", "-pk")  # aggregation drops Meta.ordering; pages need one
    )


def review_list(user: AnyUser) -> ServiceReviewQuerySet:
    """Reviews the user may see, with what the list page shows (one query plus one prefetch):
    `review_rows` with the unit, its BRM and the counts of open changes and commitments."""
    return review_page_rows(user).annotate(**_list_counts())


def review_page_rows(user: AnyUser) -> ServiceReviewQuerySet:
    """`review_list` without its counts, for the page's filters: `with_list_counts` adds them
    to the filtered rows, so the paginator's COUNT counts reviews instead of grouping the rows
    joined to every change request and commitment (no filter of the page reads those)."""
    return review_rows(user).select_related("unit", "unit__brm")


def with_list_counts(reviews: QuerySet[Any]) -> QuerySet[Any]:
    """`reviews` with `open_changes` (raised or accepted change requests) and
    `commitment_count`, the list's columns (grouped in the same query)."""
    annotated: QuerySet[Any] = reviews.annotate(**_list_counts())
    return annotated


def _list_counts() -> dict[str, Coalesce]:
    # Each relation counted on its own (brm.core.counting): joined, they multiplied.
    return {
        "open_changes": count_of(
            ChangeRequest.objects.filter(status__in=["raised", "accepted"]), "review"
        ),
        "commitment_count": count_of(*through_rows(ServiceReview.action_items)),
    }


def change_request_list(user: AnyUser) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.visible_to(user).select_related(
        "review", "review__unit", "service", "raised_by"
    )


def with_review_schedule(
    units: QuerySet[BusinessUnit], now: datetime | None = None
) -> QuerySet[Any]:
    """The one rule for when a unit's next review is due, and whether it is late.

    The rows carry annotations (`next_due_at`, `review_late`...) that the type checker cannot
    follow from one function to the next, hence `QuerySet[Any]`.

    Annotates `last_held_at`, `next_planned_at`/`next_planned_id` (the earliest planned review),
    `next_due_at` (one cadence after the last held review, or after the unit was created if none
    was ever held) and `review_late` (`next_due_at` before `now`, due yesterday counts). Computed
    in the database so a list needs no query per unit. The review list's schedule and its badge,
    the "review due, none planned" notices, the dashboard and the health engine all read these.

    With `now` given, the schedule as it stood then: only reviews recorded as held by `now`
    (`held_at`) count, so the health history of a past date does not see later reviews (when a
    review was planned or cancelled is not recorded: the planned ones are today's). Without it,
    every held review counts (the register as it stands).
    """
    held = ServiceReview.objects.filter(unit=OuterRef("pk"), status=ReviewStatus.HELD)
    if now is not None:
        held = held.filter(held_at__lte=now)
    held = held.order_by("-scheduled_at")
    now = now or timezone.now()
    planned = ServiceReview.objects.filter(
        unit=OuterRef("pk"), status=ReviewStatus.PLANNED
    ).order_by("scheduled_at")
    return (
        units.annotate(
            last_held_at=Subquery(held.values("scheduled_at")[:1]),
            next_planned_at=Subquery(planned.values("scheduled_at")[:1]),
            next_planned_id=Subquery(planned.values("pk")[:1]),
        )
        .annotate(
            # One cadence in local calendar days, keeping the wall-clock time across summer
            # time (`brm.core.schedule.add_local_days`, here in SQL).
            next_due_at=AddLocalDays(
                Coalesce(F("last_held_at"), F("created_at")), F("review_cadence_days")
            )
        )
        .annotate(
            review_late=ExpressionWrapper(Q(next_due_at__lt=now), output_field=BooleanField())
        )
    )


def unit_schedule(user: AnyUser, now: datetime | None = None) -> QuerySet[Any]:
    """Active units the user may see, with their review schedule (one query), soonest due first.

    Today's schedule on PostgreSQL carries `with_review_schedule`'s annotations written as fixed
    SQL (`_SCHEDULE_SQL`, the same values: tests/reviews/test_unit_schedule.py), which Django
    does not compile anew on every request: the five subqueries (the last held review's repeats
    in `next_due_at` and `review_late`) were 1.2 of the review list's 3.1 ms for the schedule's
    50 rows (issue 14). The SQL names the unit table, so the queryset stays the outer query.
    A past date, or another database, is `with_review_schedule` itself."""
    units = BusinessUnit.objects.visible_to(user).filter(active=True).select_related("brm")
    if now is not None or connection.vendor != "postgresql":
        return with_review_schedule(units, now).order_by("next_due_at", "name")
    zone, held, planned = settings.TIME_ZONE, ReviewStatus.HELD, ReviewStatus.PLANNED
    sql = _SCHEDULE_SQL
    return units.annotate(
        last_held_at=RawSQL(sql["last_held"], (held,), output_field=DateTimeField()),
        next_planned_at=RawSQL(sql["next_planned"], (planned,), output_field=DateTimeField()),
        next_planned_id=RawSQL(sql["next_planned_id"], (planned,), output_field=IntegerField()),
        next_due_at=RawSQL(sql["next_due"], (held, zone, zone), output_field=DateTimeField()),
        review_late=RawSQL(
            f"({sql['next_due']}) < %s",
            (held, zone, zone, timezone.now()),
            output_field=BooleanField(),
        ),
    ).order_by("next_due_at", "name")


def _schedule_sql() -> dict[str, str]:
    """`with_review_schedule`'s subqueries and due date as PostgreSQL, for `unit_schedule`.

    Each takes the review status as its first parameter; `next_due` then the time zone twice
    (`brm.core.schedule.AddLocalDays`' SQL: a cadence in local calendar days)."""
    review, unit = ServiceReview._meta, BusinessUnit._meta

    def column(meta: Any, name: str) -> str:
        return f'"{meta.get_field(name).column}"'

    table, units = f'"{review.db_table}"', f'"{unit.db_table}"'
    when, unit_id = column(review, "scheduled_at"), column(review, "unit")

    def first(value: str, order: str) -> str:
        return (
            f"(SELECT r.{value} FROM {table} r WHERE r.{unit_id} = {units}.{column(unit, 'id')}"
            f" AND r.{column(review, 'status')} = %s ORDER BY r.{when} {order} LIMIT 1)"
        )

    last_held = first(when, "DESC")
    since = f"COALESCE({last_held}, {units}.{column(unit, 'created_at')})"
    cadence = f"{units}.{column(unit, 'review_cadence_days')}"
    return {
        "last_held": last_held,
        "next_planned": first(when, "ASC"),
        "next_planned_id": first(column(review, "id"), "ASC"),
        "next_due": f"(({since} AT TIME ZONE %s) + ({cadence}) * INTERVAL '1 day') AT TIME ZONE %s",
    }


_SCHEDULE_SQL = _schedule_sql()


def units_due_without_a_plan(
    units: QuerySet[BusinessUnit], now: datetime | None = None
) -> QuerySet[Any]:
    """Of `units`, those whose review is late (`with_review_schedule`) with none planned: the
    schedule's "Overdue, not planned" flag and the notices to the BRMs."""
    return with_review_schedule(units, now).filter(next_planned_at__isnull=True, review_late=True)


def overdue_reviews(user: AnyUser, now: datetime | None = None) -> QuerySet[ServiceReview]:
    """Planned reviews the user may see that slipped past their time by more than the grace
    days (`ServiceReviewQuerySet.overdue`), oldest first, with their unit. The same rows as
    `/reviews/?view=overdue&mine=false`."""
    return (
        ServiceReview.objects.visible_to(user)
        .overdue(now)
        .select_related("unit", "unit__brm")
        .order_by("scheduled_at", "pk")
    )


def overdue_count(user: AnyUser, grace_days: int, now: datetime | None = None) -> int:
    """How many reviews the user may see are overdue (`ServiceReviewQuerySet.overdue` with
    `grace_days`), for the review list's banner: a BRM counts those of the units they manage or
    deputise for (their list's default), the others every review they may see. One query."""

    def build(cutoff: datetime, me: int) -> tuple[QuerySet[ServiceReview], Any]:
        # `.overdue(now, grace_days)`, by its cutoff (the two values are one in the SQL).
        reviews = ServiceReview.objects.visible_to(user).filter(overdue_condition(cutoff))
        if role_of(user) == Role.BRM:
            reviews = reviews.filter(managed_by(me, "unit__"))
        return reviews, {"n": Count("pk")}

    # Compiled once, replayed with the cutoff and the BRM (brm.core.statements).
    cutoff = overdue_cutoff(now, grace_days)
    figures = statements.aggregate_for(
        user, "reviews.overdue_count", build, cutoff=cutoff, me=user.pk
    )
    return int(figures["n"])


@dataclass
class ReviewSchedule:
    """A unit's review schedule as the health engine reads it."""

    next_due_at: datetime
    cadence_days: int
    next_planned_at: datetime | None
    late: bool

    def days_late(self, now: datetime) -> int:
        """Local calendar days past due (due yesterday is one day late); 0 if not late.

        Counted between local dates, like the cadence that set the due date
        (`brm.core.schedule.add_local_days`), so a summer-time change adds or removes no day.
        """
        if not self.late:
            return 0
        return max(1, (to_local(now).date() - to_local(self.next_due_at).date()).days)


def review_schedule_by_unit(
    now: datetime,
    unit_ids: Iterable[int] | QuerySet[Any] | None = None,
    *,
    manager: int | None = None,
) -> dict[int, ReviewSchedule]:
    """`with_review_schedule` of every active unit (or of `unit_ids`: ids, or a query of them),
    by unit id (one query). `manager`: a user id; their units instead of `unit_ids`, replayed
    (`per_managed_unit`)."""

    def rows_of(units: Any, now: datetime) -> QuerySet[Any]:
        active = BusinessUnit.objects.filter(active=True)
        if units is not None:
            active = active.filter(pk__in=units)
        return with_review_schedule(active, now).values(
            "id", "next_due_at", "review_cadence_days", "next_planned_at", "review_late"
        )

    rows = (
        rows_of(unit_ids, now)
        if manager is None
        else per_managed_unit("reviews.schedule_by_unit", rows_of, manager, now=now)
    )
    return {
        r["id"]: ReviewSchedule(
            r["next_due_at"], r["review_cadence_days"], r["next_planned_at"], r["review_late"]
        )
        for r in rows
    }


def reviews_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Reviews scheduled in [since, until] per unit: `planned` (not cancelled) and `held`
    (one query), for the ISO/IEC 20000 evidence report."""
    rows = (
        ServiceReview.objects.filter(scheduled_at__range=(since, until))
        .order_by()
        .values("unit_id")
        .annotate(
            planned=Count("id", filter=~Q(status=ReviewStatus.CANCELLED)),
            held=Count("id", filter=Q(status=ReviewStatus.HELD)),
        )
    )
    return {r["unit_id"]: {"planned": r["planned"], "held": r["held"]} for r in rows}


def held_between(since: datetime, until: datetime) -> QuerySet[ServiceReview]:
    """Reviews held in [since, until] with their unit and business attendees, for the
    satisfaction pulses."""
    return (
        ServiceReview.objects.filter(
            status=ReviewStatus.HELD, held_at__gte=since, held_at__lte=until
        )
        .select_related("unit")
        .prefetch_related("attendees")
    )


def timeline_keys(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> list[QuerySet[Any]]:
    """Service reviews held with a unit before `before` that the user may see, as timeline keys
    (`stakeholders.selectors.TimelineEntry`; no query until the page unions them)."""
    held = ServiceReview.objects.visible_to(user).filter(
        unit=unit, status=ReviewStatus.HELD, held_at__lt=before
    )
    return [timeline_source(held, "review", "held_at", limit)]


def timeline_load(user: AnyUser, ids: dict[str, list[int]]) -> dict[tuple[str, int], Any]:
    """The reviews of those ids by ("review", id), with the number of promises made at each
    (`n_actions`; one query, none when no review is asked for)."""
    if not ids.get("review"):
        return {}
    reviews = (
        ServiceReview.objects.visible_to(user)
        .filter(pk__in=ids["review"])
        .annotate(n_actions=Count("action_items"))
    )
    return {("review", r.pk): r for r in reviews}


_REVIEWS = ServiceReview._meta.db_table
_REVIEW_LINKS = ReviewCommitment._meta.db_table
_REVIEW_SQL = TimelineSQL(
    (
        f"(SELECT r.id, 'review', r.held_at FROM {_REVIEWS} r WHERE r.unit_id = %(unit)s"
        f" AND r.status = '{ReviewStatus.HELD.value}' AND r.held_at < %(before)s"
        " ORDER BY r.held_at DESC, r.id DESC LIMIT %(limit)s)",
    ),
    {
        "review": (
            "(SELECT jsonb_build_object('id', r.id, 'unit_id', r.unit_id, 'status', r.status,"
            " 'outcome', r.outcome, 'held_at', r.held_at, 'n_actions',"
            f" (SELECT COUNT(l.commitment_id) FROM {_REVIEW_LINKS} l WHERE l.review_id = r.id))"
            f" FROM {_REVIEWS} r WHERE r.id = keys.entry_id)"
        )
    },
)


def timeline_sql(unit: BusinessUnit, user: AnyUser) -> TimelineSQL | None:
    """Held reviews as fixed SQL for the unit page (`stakeholders.selectors.TimelineSQL`); None
    where the user's scope would cut within the unit."""
    return _REVIEW_SQL if whole_unit_visible(unit, user) else None


def timeline_object(user: AnyUser, kind: str, data: dict[str, Any]) -> Any:
    """A review `timeline_sql` read, as `timeline_load` gives it; None for another kind."""
    if kind != "review":
        return None
    review = ServiceReview(
        id=data["id"],
        unit_id=data["unit_id"],
        status=data["status"],
        outcome=data["outcome"],
        held_at=json_datetime(data["held_at"]),
    )
    review.n_actions = data["n_actions"]  # type: ignore[attr-defined]
    return review


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    reviews: list[ServiceReview] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def month_grid(reviews: QuerySet[ServiceReview], year: int, month: int) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month with the reviews on each day (one query)."""
    weeks = Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()), tz)
    by_day: dict[date, list[ServiceReview]] = {}
    for review in reviews.filter(scheduled_at__gte=start, scheduled_at__lt=end).order_by(
        "scheduled_at"
    ):
        by_day.setdefault(timezone.localdate(review.scheduled_at), []).append(review)
    return [[CalendarDay(d, d.month == month, by_day.get(d, [])) for d in week] for week in weeks]


def review_pack(
    review: ServiceReview,
    covered: list[Service] | None = None,
    *,
    visible: frozenset[int] | None = None,
) -> dict[str, Any]:
    """The frozen pack of a held review, or the live figures for a planned one.

    `covered` is the review's services if the caller already loaded them (the review page
    shows them too), so they are read once, not three times. `visible` is the viewer's
    `visible_service_ids` (None: all): the figures of any other service are left out.
    """
    if review.status == ReviewStatus.HELD and review.performance_pack:
        return pack_for(review.performance_pack, visible)
    if covered is None:
        covered = list(review.services.all())
    if visible is not None:
        covered = [s for s in covered if s.pk in visible]
    return performance_pack(review.unit, review.period_start, review.period_end, services=covered)


def review_detail_context(review: ServiceReview) -> dict[str, Any]:
    """Commitments and change requests shown on the review page (two queries)."""
    return {
        "commitments": list(
            review.action_items.select_related("owner", "owner_stakeholder").order_by(
                "owner_side", "due_date", "pk"
            )
        ),
        "changes": list(
            review.change_requests.select_related("service", "raised_by").order_by("-created_at")
        ),
    }


def default_attendees(unit: BusinessUnit) -> QuerySet[Stakeholder]:
    """Who is usually invited: the unit's active high-influence people."""
    return Stakeholder.objects.filter(unit=unit, active=True, influence__gte=4)


# --- Global search (the header's search box; combined by brm.search) ---------------------------


def search_reviews(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Service reviews the user may see (`visible_to`) by unit, location, agenda, minutes or
    outcome (one query)."""
    rows, total = text_search(
        ServiceReview.objects.visible_to(user).select_related("unit"),
        text,
        fields=[
            ("unit__name", "A"),
            ("agenda", "B"),
            ("outcome", "B"),
            ("minutes", "C"),
            ("location", "C"),
        ],
        document=REVIEW_SEARCH,
        then=["-scheduled_at", "-pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=str(r),
                url=r.get_absolute_url(),
                summary=(r.outcome or r.agenda)[:160],
                meta=f"{r.unit.name} · {r.get_status_display()}",
                at=r.scheduled_at,
            )
            for r in rows
        ],
        total,
    )
