"""ISO/IEC 20000 evidence per unit and period, for an auditor.

The standard asks for service reviews and satisfaction measurement at planned intervals,
complaints recorded, managed to closure and escalated, and service performance and workload
reported against agreed targets. Each column below comes from one GROUP BY query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q
from django.utils import timezone

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

HEADER = [
    "Business unit",
    "Reviews expected",
    "Reviews planned",
    "Reviews held",
    "Survey invitations",
    "Survey responses",
    "Response rate %",
    "Stakeholders covered %",
    "Complaints recorded",
    "Complaints closed",
    "Complaints escalated",
    "SLA periods",
    "SLA periods met",
    "SLA met %",
    "Periods over workload limit",
]


@dataclass
class EvidenceReport:
    start: date
    end: date
    rows: list[list[Any]] = field(default_factory=list)
    header: list[str] = field(default_factory=lambda: list(HEADER))

    @property
    def totals(self) -> list[Any]:
        if not self.rows:
            return []
        sums: list[Any] = ["All units"]
        for i in range(1, len(self.header)):
            values = [r[i] for r in self.rows if isinstance(r[i], int | float)]
            sums.append("" if self.header[i].endswith("%") else sum(values))
        return sums


def _pct(a: int, b: int) -> float | str:
    return round(100 * a / b, 1) if b else ""


def _counts(qs, key: str, **aggregates) -> dict[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {r[key]: r for r in qs.values(key).annotate(**aggregates)}


def evidence_report(user: AnyUser, start: date, end: date) -> EvidenceReport:
    from complaints.models import Complaint
    from portfolio.models import ServiceMetric
    from reviews.models import ServiceReview
    from satisfaction.models import Invitation
    from stakeholders.models import BusinessUnit, Stakeholder

    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end, time.max, tzinfo=tz)
    days = (end - start).days + 1
    units = list(BusinessUnit.objects.visible_to(user).filter(active=True).order_by("name"))
    reviews = _counts(
        ServiceReview.objects.filter(scheduled_at__range=(since, until)),
        "unit_id",
        planned=Count("id", filter=~Q(status="cancelled")),
        held=Count("id", filter=Q(status="held")),
    )
    surveys = _counts(
        Invitation.objects.filter(sent_at__range=(since, until)),
        "stakeholder__unit_id",
        invited=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        people=Count("stakeholder", distinct=True),
    )
    people = _counts(Stakeholder.objects.filter(active=True), "unit_id", n=Count("id"))
    complaints = _counts(
        Complaint.objects.filter(created_at__range=(since, until)),
        "unit_id",
        recorded=Count("id"),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        escalated=Count("id", filter=Q(escalation_level__gt=0)),
    )
    sla = _counts(
        ServiceMetric.objects.filter(
            period_end__range=(start, end), service__consumers__isnull=False
        ),
        "service__consumers",
        periods=Count("id"),
        met=Count("id", filter=Q(sla_met=True)),
        over=Count(
            "id",
            filter=Q(
                service__workload_limit__isnull=False, workload__gt=F("service__workload_limit")
            ),
        ),
    )
    report = EvidenceReport(start, end)
    for unit in units:
        r, s, c, m = (
            reviews.get(unit.pk, {}),
            surveys.get(unit.pk, {}),
            complaints.get(unit.pk, {}),
            sla.get(unit.pk, {}),
        )
        invited, answered = s.get("invited", 0), s.get("answered", 0)
        report.rows.append(
            [
                unit.name,
                max(1, round(days / unit.review_cadence_days)),
                r.get("planned", 0),
                r.get("held", 0),
                invited,
                answered,
                _pct(answered, invited),
                _pct(s.get("people", 0), people.get(unit.pk, {}).get("n", 0)),
                c.get("recorded", 0),
                c.get("closed", 0),
                c.get("escalated", 0),
                m.get("periods", 0),
                m.get("met", 0),
                _pct(m.get("met", 0), m.get("periods", 0)),
                m.get("over", 0),
            ]
        )
    return report
