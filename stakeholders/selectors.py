"""Read-side queries shared by pages, the API and emails: lists, the map, timeline, handover pack.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from brm.core.roles import is_it_side
from stakeholders.models import (
    ActionItem,
    ActionItemQuerySet,
    ActionStatus,
    BusinessUnit,
    Handover,
    Interaction,
    OwnerSide,
    Stakeholder,
)

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

HIGH_INFLUENCE = 4
NOT_MET_DAYS = 60


def unit_list(user: AnyUser) -> QuerySet[BusinessUnit]:
    """Units the user may see, with the figures the list shows (one query)."""
    today = timezone.localdate()
    last_contact = (
        Interaction.objects.filter(unit=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        BusinessUnit.objects.visible_to(user)
        .select_related("brm", "deputy", "parent")
        .annotate(
            stakeholder_count=Count(
                "stakeholders", filter=Q(stakeholders__active=True), distinct=True
            ),
            open_commitments=Count(
                "action_items", filter=Q(action_items__status=ActionStatus.OPEN), distinct=True
            ),
            overdue_commitments=Count(
                "action_items",
                filter=Q(action_items__status=ActionStatus.OPEN, action_items__due_date__lt=today),
                distinct=True,
            ),
            last_contact_at=Subquery(last_contact),
        )
        .order_by("name")  # aggregation drops Meta.ordering, and pages need a stable order
    )


def stakeholder_list(user: AnyUser) -> QuerySet[Stakeholder]:
    """The register as the user may see it; the HTML page, CSV export and API share it."""
    last_met = (
        Interaction.objects.filter(attendees=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        Stakeholder.objects.visible_to(user)
        .select_related("unit")
        .annotate(last_met_at=Subquery(last_met))
    )


def interaction_list(user: AnyUser) -> QuerySet[Interaction]:
    return (
        Interaction.objects.visible_to(user)
        .select_related("unit", "logged_by")
        .prefetch_related(
            Prefetch("attendees", queryset=Stakeholder.objects.only("id", "name", "unit_id")),
            "it_participants",
        )
    )


def action_item_list(user: AnyUser) -> ActionItemQuerySet:
    return ActionItem.objects.visible_to(user).select_related(
        "unit", "owner", "owner_stakeholder", "interaction"
    )


# --- The power/interest map -------------------------------------------------------------------


@dataclass
class MapCell:
    influence: int
    interest: int
    people: list[Stakeholder] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.people)

    @property
    def quadrant(self) -> str:
        high_power, high_interest = self.influence >= 4, self.interest >= 4
        if high_power and high_interest:
            return "manage"
        if high_power:
            return "satisfy"
        if high_interest:
            return "inform"
        return "monitor"


def stakeholder_grid(stakeholders: QuerySet[Stakeholder]) -> list[list[MapCell]]:
    """A 5x5 grid, rows from influence 5 (top) down to 1, columns interest 1 to 5 (one query)."""
    cells = {(i, j): MapCell(i, j) for i in range(1, 6) for j in range(1, 6)}
    for person in stakeholders.only("id", "name", "influence", "interest", "unit_id"):
        cells[(person.influence, person.interest)].people.append(person)
    return [[cells[(i, j)] for j in range(1, 6)] for i in range(5, 0, -1)]


# --- The unit timeline ------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "interaction", "commitment_done", "commitment_created", "handover", "compliment"
    obj: Any


def unit_timeline(
    unit: BusinessUnit, user: AnyUser, *, before: datetime | None = None, limit: int = 20
) -> tuple[list[TimelineEntry], datetime | None]:
    """Everything between IT and a unit, newest first: meetings (with their promises), promises
    kept, handovers, compliments, service reviews held and complaints filed (seven queries).

    Each source is cut at `limit` before merging, so the page never loads the whole history;
    the returned cursor fetches the next page.
    """
    before = before or timezone.now() + timedelta(days=1)
    interactions = (
        interaction_list(user)
        .filter(unit=unit, occurred_at__lt=before)
        .prefetch_related(
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("owner", "owner_stakeholder"),
            )
        )[:limit]
    )
    completed = (
        ActionItem.objects.filter(unit=unit, status=ActionStatus.DONE, completed_at__lt=before)
        .select_related("owner", "owner_stakeholder")
        .order_by("-completed_at")[:limit]
    )
    handovers = (
        Handover.objects.filter(unit=unit, created_at__lt=before)
        .select_related("from_brm", "to_brm", "handed_over_by")
        .order_by("-created_at")[:limit]
    )
    # Compliments from the unit share the credit on its timeline (complaints app).
    from complaints.models import Feedback, FeedbackKind

    compliments = (
        Feedback.objects.filter(unit=unit, kind=FeedbackKind.COMPLIMENT, created_at__lt=before)
        .select_related("author", "about_person")
        .order_by("-created_at")[:limit]
    )
    # Held reviews and filed complaints complete the one history a successor reads.
    from complaints.models import Complaint
    from reviews.models import ReviewStatus, ServiceReview

    reviews = (
        ServiceReview.objects.filter(unit=unit, status=ReviewStatus.HELD, held_at__lt=before)
        .annotate(n_actions=Count("action_items"))
        .order_by("-held_at")[:limit]
    )
    complaints = (
        Complaint.objects.filter(unit=unit, created_at__lt=before)
        .select_related("service")
        .order_by("-created_at")[:limit]
    )
    entries = [TimelineEntry(i.occurred_at, "interaction", i) for i in interactions]
    entries += [TimelineEntry(r.held_at, "review", r) for r in reviews]
    entries += [TimelineEntry(c.created_at, "complaint", c) for c in complaints]
    entries += [TimelineEntry(a.completed_at, "commitment_done", a) for a in completed]
    entries += [TimelineEntry(h.created_at, "handover", h) for h in handovers]
    entries += [TimelineEntry(f.created_at, "compliment", f) for f in compliments]
    entries.sort(key=lambda e: e.at, reverse=True)
    page = list(islice(entries, limit))
    more = len(entries) > limit or any(
        len(src) == limit
        for src in (interactions, completed, handovers, compliments, reviews, complaints)
    )
    next_before = page[-1].at if page and more else None
    if not is_it_side(user):
        # Private notes never leave the IT side, whatever the template does.
        for entry in page:
            if entry.kind == "interaction":
                entry.obj.notes = ""
    return page, next_before


# --- The handover pack ------------------------------------------------------------------------


@dataclass
class HandoverPack:
    unit: BusinessUnit
    grid: list[list[MapCell]]
    open_it: list[ActionItem]
    open_business: list[ActionItem]
    recent: list[Interaction]
    sentiment_trend: list[dict[str, Any]]
    not_met: list[Stakeholder]
    generated_at: datetime


def handover_pack(unit: BusinessUnit, user: AnyUser, *, days: int = 90) -> HandoverPack:
    """Everything a new BRM needs so the relationship does not leave with the previous one."""
    now = timezone.now()
    people = Stakeholder.objects.filter(unit=unit, active=True)
    open_items = list(
        ActionItem.objects.filter(unit=unit, status=ActionStatus.OPEN)
        .select_related("owner", "owner_stakeholder")
        .order_by("due_date")
    )
    recent = list(
        interaction_list(user).filter(unit=unit, occurred_at__gte=now - timedelta(days=days))
    )
    trend = list(
        Interaction.objects.filter(unit=unit, occurred_at__gte=now - timedelta(days=365))
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(avg=Avg("sentiment"), n=Count("id"))
        .order_by("month")
    )
    not_met = list(
        people.filter(influence__gte=HIGH_INFLUENCE)
        .annotate(last_met_at=Max("interactions__occurred_at"))
        .filter(Q(last_met_at__isnull=True) | Q(last_met_at__lt=now - timedelta(days=NOT_MET_DAYS)))
        .order_by("-influence", "name")
    )
    if not is_it_side(user):
        for i in recent:
            i.notes = ""
    return HandoverPack(
        unit=unit,
        grid=stakeholder_grid(people),
        open_it=[a for a in open_items if a.owner_side == OwnerSide.IT],
        open_business=[a for a in open_items if a.owner_side == OwnerSide.BUSINESS],
        recent=recent,
        sentiment_trend=[
            {
                "month": row["month"].date().isoformat()[:7],
                "avg": round(row["avg"], 2),
                "n": row["n"],
            }
            for row in trend
        ],
        not_met=not_met,
        generated_at=now,
    )
