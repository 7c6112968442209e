"""Read-side queries for complaints and feedback: the work queue, the timeline, the reports.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Case, Count, F, Prefetch, Q, QuerySet, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintSettings,
    Feedback,
    FeedbackKind,
    Severity,
    Status,
)
from stakeholders.selectors import TimelineEntry

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


def complaint_list(user: AnyUser) -> QuerySet[Complaint]:
    """Complaints the user may see, with `due_at` (the next deadline) for sorting (one query)."""
    return (
        Complaint.objects.visible_to(user)
        .select_related("unit", "service", "complainant")
        .annotate(
            due_at=Case(
                When(status=Status.RECEIVED, then=F("acknowledge_by")),
                When(status__in=OPEN_STATUSES, then=F("resolve_by")),
                default=None,
            )
        )
    )


def complaint_events(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.select_related("actor").order_by("created_at", "pk")


def recognition_feed(user: AnyUser) -> QuerySet[Feedback]:
    return (
        Feedback.objects.visible_to(user)
        .filter(kind=FeedbackKind.COMPLIMENT)
        .select_related("author", "about_person", "unit")
    )


def feedback_list(user: AnyUser) -> QuerySet[Feedback]:
    return Feedback.objects.visible_to(user).select_related("author", "about_person", "unit")


# --- Reports ----------------------------------------------------------------------------------

AGE_BANDS = [(0, 2, "under 2 days"), (2, 7, "2-7 days"), (7, 30, "7-30 days"), (30, None, "30+")]
SEVERITIES = [s.value for s in Severity]


@dataclass
class TargetRow:
    severity: str
    label: str
    ack_target_hours: int
    resolve_target_hours: int
    acknowledged: int = 0
    ack_on_time: int = 0
    ack_hours_total: float = 0.0
    resolved: int = 0
    resolve_on_time: int = 0
    resolve_hours_total: float = 0.0

    @property
    def ack_avg_hours(self) -> float | None:
        return round(self.ack_hours_total / self.acknowledged, 1) if self.acknowledged else None

    @property
    def resolve_avg_hours(self) -> float | None:
        return round(self.resolve_hours_total / self.resolved, 1) if self.resolved else None

    @property
    def ack_on_time_pct(self) -> float | None:
        return round(100 * self.ack_on_time / self.acknowledged, 1) if self.acknowledged else None

    @property
    def resolve_on_time_pct(self) -> float | None:
        return round(100 * self.resolve_on_time / self.resolved, 1) if self.resolved else None


@dataclass
class UnitRow:
    unit_id: int
    name: str
    open_by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    open_by_age: dict[str, int] = field(
        default_factory=lambda: {label: 0 for *_, label in AGE_BANDS}
    )
    escalations: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())


@dataclass
class ComplaintReport:
    units: list[UnitRow]
    targets: list[TargetRow]
    open_total: int
    escalated_total: int
    generated_at: datetime

    def chart_data(self) -> dict[str, Any]:
        return {
            "units": [u.name for u in self.units],
            "severities": SEVERITIES,
            "open": {s: [u.open_by_severity[s] for u in self.units] for s in SEVERITIES},
            "targets": [
                {
                    "severity": t.label,
                    "ack_pct": t.ack_on_time_pct,
                    "resolve_pct": t.resolve_on_time_pct,
                }
                for t in self.targets
            ],
        }


def _age_band(days: float) -> str:
    for low, high, label in AGE_BANDS:
        if days >= low and (high is None or days < high):
            return label
    return AGE_BANDS[-1][2]


def complaint_report(
    complaints: QuerySet[Complaint], now: datetime | None = None
) -> ComplaintReport:
    """Open complaints by age and severity per unit, times against targets, escalation counts.

    Two queries (the settings row and the complaints). Time to acknowledge/resolve is measured
    against each complaint's own deadline, i.e. the target in force when it was filed.
    """
    now = now or timezone.now()
    targets = ComplaintSettings.get()
    rows = {
        s: TargetRow(s, Severity(s).label, targets.ack_hours(s), targets.resolve_hours(s))
        for s in SEVERITIES
    }
    units: dict[int, UnitRow] = {}
    escalated = 0
    fields = (
        "unit_id",
        "unit__name",
        "severity",
        "status",
        "created_at",
        "acknowledge_by",
        "resolve_by",
        "acknowledged_at",
        "resolved_at",
        "escalation_level",
    )
    for c in complaints.order_by().values(*fields):
        unit = units.setdefault(c["unit_id"], UnitRow(c["unit_id"], c["unit__name"]))
        if c["status"] in OPEN_STATUSES:
            unit.open_by_severity[c["severity"]] += 1
            unit.open_by_age[_age_band((now - c["created_at"]).total_seconds() / 86400)] += 1
        for level in range(1, c["escalation_level"] + 1):
            unit.escalations[level] += 1
        if c["escalation_level"]:
            escalated += 1
        row = rows[c["severity"]]
        if c["acknowledged_at"]:
            row.acknowledged += 1
            row.ack_hours_total += (c["acknowledged_at"] - c["created_at"]).total_seconds() / 3600
            row.ack_on_time += c["acknowledged_at"] <= c["acknowledge_by"]
        if c["resolved_at"]:
            row.resolved += 1
            row.resolve_hours_total += (c["resolved_at"] - c["created_at"]).total_seconds() / 3600
            row.resolve_on_time += c["resolved_at"] <= c["resolve_by"]
    unit_rows = sorted(units.values(), key=lambda u: u.name)
    return ComplaintReport(
        units=unit_rows,
        targets=list(rows.values()),
        open_total=sum(u.open_total for u in unit_rows),
        escalated_total=escalated,
        generated_at=now,
    )


def escalation_counts(complaints: QuerySet[Complaint]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for level in complaints.values_list("escalation_level", flat=True):
        for step in range(1, level + 1):
            counts[step] += 1
    return counts


def prefetch_timeline(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.prefetch_related(
        Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor"))
    )


# --- The unit timeline's part -----------------------------------------------------------------


def timeline_entries(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> list[TimelineEntry]:
    """Complaints filed and compliments received by a unit before `before`, at most `limit` of
    each, newest first (two queries). Compliments share the credit on the unit's history."""
    complaints = (
        Complaint.objects.visible_to(user)
        .filter(unit=unit, created_at__lt=before)
        .select_related("service")
        .order_by("-created_at")[:limit]
    )
    compliments = (
        Feedback.objects.filter(unit=unit, kind=FeedbackKind.COMPLIMENT, created_at__lt=before)
        .select_related("author", "about_person")
        .order_by("-created_at")[:limit]
    )
    entries = [TimelineEntry(c.created_at, "complaint", c) for c in complaints]
    entries += [TimelineEntry(f.created_at, "compliment", f) for f in compliments]
    return entries


# --- Figures the top floor reads (health engine, dashboard, evidence, My relationships) -------


@dataclass
class OpenComplaint:
    """One open complaint as the health engine weighs it."""

    severity: str
    created_at: datetime
    escalation_level: int
    overdue: bool


def open_by_unit(now: datetime) -> dict[int, list[OpenComplaint]]:
    """Every open complaint per unit id, each flagged overdue by `overdue_condition` as of
    `now` (one query)."""
    rows = (
        Complaint.objects.open()
        .with_overdue(now)
        .order_by()
        # `overdue_now` is annotated inside with_overdue(), where the plugin cannot follow it.
        .values(  # type: ignore[misc]
            "unit_id", "severity", "created_at", "escalation_level", "overdue_now"
        )
    )
    out: dict[int, list[OpenComplaint]] = {}
    for r in rows:
        out.setdefault(r["unit_id"], []).append(
            OpenComplaint(r["severity"], r["created_at"], r["escalation_level"], r["overdue_now"])
        )
    return out


def filed_by_unit(since: datetime, until: datetime | None = None) -> dict[int, dict[str, int]]:
    """Complaints filed in [since, until) (no upper bound without `until`) per unit:
    `recorded`, `closed` (closed since) and `escalated` (escalated at least once) (one query)."""
    filed = Complaint.objects.filter(created_at__gte=since)
    if until is not None:
        filed = filed.filter(created_at__lt=until)
    rows = (
        filed.order_by()
        .values("unit_id")
        .annotate(
            recorded=Count("id"),
            closed=Count("id", filter=Q(closed_at__isnull=False)),
            escalated=Count("id", filter=Q(escalation_level__gt=0)),
        )
    )
    return {
        r["unit_id"]: {
            "recorded": r["recorded"],
            "closed": r["closed"],
            "escalated": r["escalated"],
        }
        for r in rows
    }


def resolution_ratings_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, float]]:
    """Mean resolution rating (1-5) and number of ratings per unit, rated in [since, until)."""
    rows = (
        Complaint.objects.filter(
            rated_at__gte=since, rated_at__lt=until, resolution_rating__isnull=False
        )
        .order_by()
        .values("unit_id")
        .annotate(avg=Avg("resolution_rating"), n=Count("id"))
    )
    return {r["unit_id"]: {"avg": float(r["avg"]), "n": r["n"]} for r in rows}


def overdue_by_unit(unit_ids: list[int], now: datetime) -> dict[int, int]:
    """Overdue complaints per unit (one query); `/complaints/?unit=<id>&overdue=true` lists the
    same rows."""
    rows = (
        Complaint.objects.filter(unit_id__in=unit_ids)
        .overdue(now)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


def open_ageing(
    user: AnyUser, now: datetime, buckets: list[tuple[int, int | None]]
) -> dict[str, list[int]]:
    """Open complaints the user may see per severity, counted in age buckets of whole days
    (`(low, high)`, high inclusive, None for no upper bound) (one query). A severity's row adds
    up to `/complaints/?severity=<s>` (the queue shows open ones)."""
    counts = {}
    for i, (low, high) in enumerate(buckets):
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high + 1))
        counts[f"b{i}"] = Count("id", filter=q)
    rows = (
        Complaint.objects.visible_to(user).open().order_by().values("severity").annotate(**counts)
    )
    # One row per severity with a count per bucket (names built above, unseen by the checker).
    by_severity: dict[str, Any] = {r["severity"]: r for r in rows}
    return {
        s: [by_severity.get(s, {}).get(f"b{i}", 0) for i in range(len(buckets))]
        for s in reversed(SEVERITIES)
    }


def filed_per_month(user: AnyUser, since: datetime) -> list[dict[str, Any]]:
    """Complaints the user may see filed per month since `since` (one query)."""
    rows = (
        Complaint.objects.visible_to(user)
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [{"month": r["month"].strftime("%Y-%m"), "complaints": r["n"]} for r in rows]


def resolved_between(since: datetime, until: datetime) -> QuerySet[Complaint]:
    """Complaints resolved in [since, until] (resolved or since closed), with their unit and
    complainant's stakeholder record, for the satisfaction pulses."""
    return Complaint.objects.filter(
        status__in=[Status.RESOLVED, Status.CLOSED],
        resolved_at__gte=since,
        resolved_at__lte=until,
    ).select_related("unit", "complainant__stakeholder")
