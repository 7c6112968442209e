"""Read-side queries of service reviews: the list, the unit schedule, the month view, the pack.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from calendar import Calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from brm.core.db import Days
from portfolio.models import Service
from portfolio.selectors.catalogue import performance_pack
from reviews.models import ChangeRequest, ReviewStatus, ServiceReview, ServiceReviewQuerySet
from stakeholders.models import BusinessUnit, Stakeholder

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def review_list(user: AnyUser) -> ServiceReviewQuerySet:
    """Reviews the user may see, with what the list shows (one query plus one prefetch)."""
    return (
        ServiceReview.objects.visible_to(user)
        .select_related("unit", "unit__brm")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name")))
        .annotate(
            open_changes=Count(
                "change_requests",
                filter=Q(change_requests__status__in=["raised", "accepted"]),
                distinct=True,
            ),
            commitment_count=Count("action_items", distinct=True),
        )
        .order_by("-scheduled_at", "-pk")  # aggregation drops Meta.ordering; pages need one
    )


def change_request_list(user: AnyUser) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.visible_to(user).select_related(
        "review", "review__unit", "service", "raised_by"
    )


def with_review_schedule(units: QuerySet[BusinessUnit]) -> QuerySet[Any]:
    """Annotate units with their last held review, next planned one and next due time.

    The rows carry annotations (`next_due_at`...) that the type checker cannot follow from one
    function to the next, hence `QuerySet[Any]`.

    The next review is due one cadence after the last held one (or after the unit was created,
    if none was ever held); this is computed in the database so a list needs no query per unit.
    The health engine uses the same expression to judge whether reviews happen on schedule.
    """
    held = ServiceReview.objects.filter(unit=OuterRef("pk"), status=ReviewStatus.HELD).order_by(
        "-scheduled_at"
    )
    planned = ServiceReview.objects.filter(
        unit=OuterRef("pk"), status=ReviewStatus.PLANNED
    ).order_by("scheduled_at")
    return units.annotate(
        last_held_at=Subquery(held.values("scheduled_at")[:1]),
        next_planned_at=Subquery(planned.values("scheduled_at")[:1]),
        next_planned_id=Subquery(planned.values("pk")[:1]),
    ).annotate(
        next_due_at=ExpressionWrapper(
            Coalesce(F("last_held_at"), F("created_at")) + Days("review_cadence_days"),
            output_field=DateTimeField(),
        )
    )


def unit_schedule(user: AnyUser) -> QuerySet[Any]:
    """Active units the user may see, with their review schedule (one query)."""
    units = BusinessUnit.objects.visible_to(user).filter(active=True).select_related("brm")
    return with_review_schedule(units).order_by("next_due_at", "name")


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


def review_pack(review: ServiceReview, covered: list[Service] | None = None) -> dict[str, Any]:
    """The frozen pack of a held review, or the live figures for a planned one.

    `covered` is the review's services if the caller already loaded them (the review page
    shows them too), so they are read once, not three times.
    """
    if review.status == ReviewStatus.HELD and review.performance_pack:
        pack: dict[str, Any] = review.performance_pack
        return pack
    if covered is None:
        covered = list(review.services.all())
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
