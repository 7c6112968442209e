"""Read-side queries for complaints and feedback: the work queue, the timeline, the reports.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from brm.core import statements
from brm.core.prebuilt import Prebuilt
from brm.core.roles import Role, role_of
from brm.core.search import DEFAULT_LIMIT, SearchHit, SearchResults, text_search
from complaints.models import (
    COMPLAINT_SEARCH,
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintQuerySet,
    ComplaintSettings,
    EventKind,
    Feedback,
    FeedbackKind,
    Severity,
    Status,
    open_condition,
    overdue_condition,
)
from stakeholders.selectors import (
    TimelineSQL,
    per_managed_unit,
    timeline_source,
    user_from_json,
    user_json,
    whole_unit_visible,
)

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


# Built once for IT's readers (brm.core.prebuilt): 0.3 ms of expressions per request.
@Prebuilt
def complaint_list(user: AnyUser) -> QuerySet[Complaint]:
    """Complaints the user may see, their unit, service, complainant and handler joined and
    `due_at` (the next deadline, an aware datetime or None) annotated for sorting (one query
    when read; unevaluated)."""
    return (
        Complaint.objects.visible_to(user)
        .select_related("unit", "service", "complainant", "handler")
        .annotate(
            due_at=Case(
                When(status=Status.RECEIVED, then=F("acknowledge_by")),
                When(status__in=OPEN_STATUSES, then=F("resolve_by")),
                default=None,
            )
        )
    )


def complaint_queue(user: AnyUser) -> QuerySet[Complaint]:
    """The user's queue: open complaints they handle (`Complaint.handler`), as `complaint_list`
    (one query); the caller orders it (nearest deadline first)."""
    return complaint_list(user).filter(open_condition(), handler=user.pk)


def complaint_events(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.select_related("actor", "handler").order_by("created_at", "pk")


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
            # The series' names in the reader's language (the codes above are the keys).
            "severity_labels": {s: severity_label(s) for s in SEVERITIES},
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
        s: TargetRow(s, str(Severity(s).label), targets.ack_hours(s), targets.resolve_hours(s))
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


# --- The unit timeline's part -----------------------------------------------------------------


def timeline_keys(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> list[QuerySet[Any]]:
    """Complaints filed (those the user may see) and compliments received by a unit before
    `before`, as timeline keys (`stakeholders.selectors.TimelineEntry`; no query until the page
    unions them). Compliments share the credit on the unit's history."""
    complaints = Complaint.objects.visible_to(user).filter(unit=unit, created_at__lt=before)
    compliments = Feedback.objects.filter(
        unit=unit, kind=FeedbackKind.COMPLIMENT, created_at__lt=before
    )
    return [
        timeline_source(complaints, "complaint", "created_at", limit),
        timeline_source(compliments, "compliment", "created_at", limit),
    ]


def timeline_load(user: AnyUser, ids: dict[str, list[int]]) -> dict[tuple[str, int], Any]:
    """The complaints (with their service) and compliments (with their author and the person
    praised) of those ids by (kind, id): one query per kind asked for."""
    found: dict[tuple[str, int], Any] = {}
    if ids.get("complaint"):
        complaints = (
            Complaint.objects.visible_to(user)
            .filter(pk__in=ids["complaint"])
            .select_related("service")
        )
        found.update((("complaint", c.pk), c) for c in complaints)
    if ids.get("compliment"):
        compliments = Feedback.objects.filter(
            pk__in=ids["compliment"], kind=FeedbackKind.COMPLIMENT
        ).select_related("author", "about_person")
        found.update((("compliment", f.pk), f) for f in compliments)
    return found


_COMPLAINTS = Complaint._meta.db_table
_FEEDBACK = Feedback._meta.db_table
_SERVICES = Complaint._meta.get_field("service").related_model._meta.db_table
_USERS = Feedback._meta.get_field("author").related_model._meta.db_table
_COMPLAINT_SQL = TimelineSQL(
    (
        f"(SELECT c.id, 'complaint', c.created_at FROM {_COMPLAINTS} c"
        " WHERE c.unit_id = %(unit)s AND c.created_at < %(before)s"
        " ORDER BY c.created_at DESC, c.id DESC LIMIT %(limit)s)",
        f"(SELECT f.id, 'compliment', f.created_at FROM {_FEEDBACK} f"
        f" WHERE f.unit_id = %(unit)s AND f.kind = '{FeedbackKind.COMPLIMENT.value}'"
        " AND f.created_at < %(before)s ORDER BY f.created_at DESC, f.id DESC LIMIT %(limit)s)",
    ),
    {
        "complaint": (
            "(SELECT jsonb_build_object('id', c.id, 'unit_id', c.unit_id, 'title', c.title,"
            " 'reference', c.reference, 'severity', c.severity, 'status', c.status,"
            " 'created_at', c.created_at, 'service', CASE WHEN s.id IS NULL THEN NULL ELSE"
            " jsonb_build_object('id', s.id, 'name', s.name) END)"
            f" FROM {_COMPLAINTS} c LEFT JOIN {_SERVICES} s ON s.id = c.service_id"
            " WHERE c.id = keys.entry_id)"
        ),
        "compliment": (
            "(SELECT jsonb_build_object('id', f.id, 'unit_id', f.unit_id, 'kind', f.kind,"
            " 'message', f.message, 'about_team', f.about_team, 'created_at', f.created_at,"
            f" 'author', {user_json('a')}, 'about_person', {user_json('p')})"
            f" FROM {_FEEDBACK} f LEFT JOIN {_USERS} a ON a.id = f.author_id"
            f" LEFT JOIN {_USERS} p ON p.id = f.about_person_id WHERE f.id = keys.entry_id)"
        ),
    },
)


def timeline_sql(unit: BusinessUnit, user: AnyUser) -> TimelineSQL | None:
    """Complaints filed and compliments received as fixed SQL for the unit page
    (`stakeholders.selectors.TimelineSQL`); None where the user's scope would cut within the
    unit (compliments are not scoped, as in `timeline_keys`)."""
    return _COMPLAINT_SQL if whole_unit_visible(unit, user) else None


def timeline_object(user: AnyUser, kind: str, data: dict[str, Any]) -> Any:
    """A complaint or compliment `timeline_sql` read, as `timeline_load` gives it; None for
    another kind."""
    if kind == "complaint":
        service = data["service"]
        service_model: Any = Complaint._meta.get_field("service").related_model
        return Complaint(
            id=data["id"],
            unit_id=data["unit_id"],
            title=data["title"],
            reference=data["reference"],
            severity=data["severity"],
            status=data["status"],
            created_at=datetime.fromisoformat(data["created_at"]),
            service=None if service is None else service_model(**service),
        )
    if kind == "compliment":
        return Feedback(
            id=data["id"],
            unit_id=data["unit_id"],
            kind=data["kind"],
            message=data["message"],
            about_team=data["about_team"],
            created_at=datetime.fromisoformat(data["created_at"]),
            author=user_from_json(data["author"]),
            about_person=user_from_json(data["about_person"]),
        )
    return None


# --- Figures the top floor reads (health engine, dashboard, evidence, My relationships) -------


@dataclass
class OpenComplaint:
    """One open complaint as the health engine weighs it, as it stood at the instant asked."""

    severity: str
    created_at: datetime
    escalation_level: int
    overdue: bool


# Events that move a complaint's status (each carries `to_status`).
STATUS_EVENTS = (EventKind.FILED, EventKind.TRANSITION)


def as_it_stood(at: datetime) -> ComplaintQuerySet:
    """Complaints filed by `at`, each annotated as it stood then (one query, subqueries per row):

    - `status_then`: the `to_status` of its last filed/transition event at or before `at` (the
      append-only timeline, so reopening and withdrawal are followed). A complaint with no such
      event (loaded without a timeline) falls back on its timestamps (closed_at, resolved_at,
      acknowledged_at) and else on its status today (a withdrawal without a timeline cannot be
      dated).
    - `cycle_start_then`: its last reopening at or before `at`, else when it was filed.
    - `escalation_level_then`: the highest escalation event of that cycle up to `at`, 0 if none;
      a complaint with no escalation event at all (loaded without a timeline) keeps its stored
      level, which cannot be dated.

    What cannot be reconstructed: the deadlines (`acknowledge_by`, `resolve_by`) are the current
    cycle's, so for an instant before a reopening the earlier cycle's resolve-by is not known and
    the stored one (later) is used; a change of severity is not recorded and today's is used.
    """
    status_events = (
        ComplaintEvent.objects.filter(
            complaint=OuterRef("pk"), kind__in=STATUS_EVENTS, created_at__lte=at
        )
        .exclude(to_status="")
        .order_by("-created_at", "-pk")
    )
    reopenings = ComplaintEvent.objects.filter(
        complaint=OuterRef("pk"),
        kind=EventKind.TRANSITION,
        from_status__in=[Status.RESOLVED, Status.CLOSED],
        to_status__in=OPEN_STATUSES,
        created_at__lte=at,
    ).order_by("-created_at", "-pk")
    escalations = ComplaintEvent.objects.filter(
        complaint=OuterRef("pk"),
        kind=EventKind.ESCALATION,
        created_at__lte=at,
        created_at__gte=OuterRef("cycle_start_then"),
        level__isnull=False,
    ).order_by("-level")
    any_escalation = ComplaintEvent.objects.filter(
        complaint=OuterRef("pk"), kind=EventKind.ESCALATION
    )
    finished_later = Q(resolved_at__gt=at) | Q(closed_at__gt=at)
    from_timestamps = Case(
        When(closed_at__lte=at, then=Value(Status.CLOSED.value)),
        When(resolved_at__lte=at, then=Value(Status.RESOLVED.value)),
        When(finished_later & Q(acknowledged_at__lte=at), then=Value(Status.ACKNOWLEDGED.value)),
        When(finished_later | Q(acknowledged_at__gt=at), then=Value(Status.RECEIVED.value)),
        default=F("status"),
        output_field=CharField(),
    )
    return (
        Complaint.objects.filter(created_at__lte=at)
        .annotate(
            status_then=Coalesce(
                Subquery(status_events.values("to_status")[:1]),
                from_timestamps,
                output_field=CharField(),
            ),
            cycle_start_then=Coalesce(
                Subquery(reopenings.values("created_at")[:1]), F("created_at")
            ),
        )
        .annotate(
            escalation_level_then=Coalesce(
                Subquery(escalations.values("level")[:1]),
                # No escalation on its timeline at all (loaded without one): today's level,
                # since when it was reached cannot be dated.
                Case(
                    When(Exists(any_escalation), then=Value(0)),
                    default=F("escalation_level"),
                    output_field=IntegerField(),
                ),
                output_field=IntegerField(),
            )
        )
    )


def open_by_unit(now: datetime) -> dict[int, list[OpenComplaint]]:
    """Every complaint open at `now` per unit id, as it stood then (`as_it_stood`): filed by
    `now` and not yet resolved, closed or withdrawn at `now`, with its escalation level then and
    flagged overdue by `overdue_condition` as of `now` (one query). For the present this is the
    work queue's open list and its `overdue=true` filter."""
    rows = (
        as_it_stood(now)
        .filter(open_condition("status_then"))
        .annotate(
            overdue_then=ExpressionWrapper(
                overdue_condition(now, "status_then"), output_field=BooleanField()
            )
        )
        .order_by()
        .values("unit_id", "severity", "created_at", "escalation_level_then", "overdue_then")
    )
    out: dict[int, list[OpenComplaint]] = {}
    for r in rows:
        out.setdefault(r["unit_id"], []).append(
            OpenComplaint(
                r["severity"], r["created_at"], r["escalation_level_then"], r["overdue_then"]
            )
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


def overdue_by_unit(
    unit_ids: Iterable[int] | QuerySet[Any], now: datetime, *, manager: int | None = None
) -> dict[int, int]:
    """Overdue complaints per unit of `unit_ids` (ids, or a query of them read as a subquery;
    one query); `/complaints/?unit=<id>&overdue=true` lists the same rows. `manager`: a user
    id; their units instead of `unit_ids`, replayed (`per_managed_unit`)."""

    def rows_of(units: Any, now: datetime) -> QuerySet[Any]:
        overdue = Complaint.objects.filter(unit_id__in=units).overdue(now).order_by()
        return overdue.values("unit_id").annotate(n=Count("id"))

    rows = (
        rows_of(unit_ids, now)
        if manager is None
        else per_managed_unit("complaints.overdue_by_unit", rows_of, manager, now=now)
    )
    return {r["unit_id"]: r["n"] for r in rows}


def _age_conditions(now: datetime, buckets: list[tuple[int, int | None]]) -> list[Q]:
    """A complaint's age at `now` within each bucket of whole days (`(low, high)`, high
    inclusive, None for no upper bound), as conditions on when it was filed."""
    conditions = []
    for low, high in buckets:
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high + 1))
        conditions.append(q)
    return conditions


def open_ageing(
    user: AnyUser, now: datetime, buckets: list[tuple[int, int | None]]
) -> dict[str, list[int]]:
    """Open complaints the user may see per severity, counted in age buckets of whole days
    (`(low, high)`, high inclusive, None for no upper bound) (one query). A severity's row adds
    up to `/complaints/?severity=<s>` (the queue shows open ones)."""
    counts = {f"b{i}": Count("id", filter=q) for i, q in enumerate(_age_conditions(now, buckets))}
    rows = (
        Complaint.objects.visible_to(user).open().order_by().values("severity").annotate(**counts)
    )
    # One row per severity with a count per bucket (names built above, unseen by the checker).
    by_severity: dict[str, Any] = {r["severity"]: r for r in rows}
    return {
        s: [by_severity.get(s, {}).get(f"b{i}", 0) for i in range(len(buckets))]
        for s in reversed(SEVERITIES)
    }


def severity_label(severity: str) -> str:
    """A severity's name in the active language ("Critical", "Crítica"); the code if unknown."""
    return str(Severity(severity).label) if severity in SEVERITIES else severity


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


def ageing_and_monthly(
    user: AnyUser, now: datetime, buckets: list[tuple[int, int | None]], since: datetime
) -> tuple[dict[str, list[int]], list[dict[str, Any]]]:
    """`open_ageing(user, now, buckets)` and `filed_per_month(user, since)` from one query, for
    the dashboard: the complaints the user may see that are open or filed since `since`, grouped
    by severity and month filed, each group counting its open ones per age bucket and the ones
    filed since `since`; the groups (at most severities x months, however many complaints) are
    added up here. The same figures as the two functions, by the same rules."""

    def build(now: datetime, since: datetime) -> QuerySet[Any, Any]:
        is_open, filed = open_condition(), Q(created_at__gte=since)
        ages = {
            f"b{i}": Count("id", filter=is_open & q)
            for i, q in enumerate(_age_conditions(now, buckets))
        }
        return (
            Complaint.objects.visible_to(user)
            .filter(is_open | filed)
            .annotate(month=TruncMonth("created_at"))
            .order_by()
            .values("severity", "month")
            .annotate(filed=Count("id", filter=filed), **ages)
        )

    ageing = {s: [0] * len(buckets) for s in reversed(SEVERITIES)}
    per_month: Counter[datetime] = Counter()
    # One row per (severity, month) with a count per bucket; compiled once per set of buckets
    # and replayed with the instant (brm.core.statements).
    groups = statements.rows_for(
        user, ("complaints.ageing", tuple(buckets)), build, now=now, since=since
    )
    for group in groups:
        if group["severity"] in ageing:
            counts = ageing[group["severity"]]
            for i in range(len(buckets)):
                counts[i] += group[f"b{i}"]
        if group["filed"]:
            per_month[group["month"]] += group["filed"]
    monthly = [
        {"month": month.strftime("%Y-%m"), "complaints": n}
        for month, n in sorted(per_month.items())
    ]
    return ageing, monthly


def resolved_between(since: datetime, until: datetime) -> QuerySet[Complaint]:
    """Complaints resolved in [since, until] (resolved or since closed), with their unit and
    complainant's stakeholder record, for the satisfaction pulses."""
    return Complaint.objects.filter(
        status__in=[Status.RESOLVED, Status.CLOSED],
        resolved_at__gte=since,
        resolved_at__lte=until,
    ).select_related("unit", "complainant__stakeholder")


# --- Global search (the header's search box; combined by brm.search) ---------------------------


def search_complaints(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Complaints the user may see (`visible_to`: a leader their unit's and their own) by
    reference, title, description or resolution (one query). Integrations get none, as the
    complaint pages refuse them (complainants' words are not for HR/CRM sync)."""
    if role_of(user) == Role.INTEGRATION:
        return SearchResults()
    rows, total = text_search(
        Complaint.objects.visible_to(user).select_related("unit"),
        text,
        fields=[("reference", "A"), ("title", "A"), ("description", "B"), ("resolution", "C")],
        document=COMPLAINT_SEARCH,
        then=["-created_at", "-pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=f"{c.reference or 'New'}: {c.title}",
                url=c.get_absolute_url(),
                summary=c.description[:160],
                meta=f"{c.unit.name} · {c.get_status_display()}",
                at=c.created_at,
            )
            for c in rows
        ],
        total,
    )
