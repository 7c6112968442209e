"""The CIO dashboard's figures, each from one set-based query, drillable to the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from brm.health.models import HealthSnapshot
from brm.health.selectors import BANDS, latest_snapshots, score_history

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

BAND_ORDER = {"red": 0, "amber": 1, "green": 2, "none": 3}
AGE_BUCKETS = [
    ("0-7 days", 0, 7),
    ("8-30 days", 8, 30),
    ("31-90 days", 31, 90),
    ("over 90", 91, None),
]


@dataclass
class Dashboard:
    snapshots: list[HealthSnapshot]
    bands: dict[str, int]
    watermelons: list[HealthSnapshot]
    drops: list[HealthSnapshot]
    history: dict[int, list[dict[str, Any]]]
    overdue_reviews: list[Any]
    overdue_review_count: int
    complaint_ageing: list[dict[str, Any]]
    promises: dict[str, int]
    demand: dict[str, Any] | None
    monthly: list[dict[str, Any]] = field(default_factory=list)
    average: float | None = None

    @property
    def heat_tiles(self) -> SafeString:
        return heat_tiles(self.snapshots)


def _whole(score: float) -> str:
    """`score|floatformat:0` (half up) without the template filter's per-call localisation."""
    return str(Decimal(repr(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def heat_tiles(snapshots: list[HealthSnapshot]) -> SafeString:
    """The heatmap's tiles, one link per unit.

    Built here rather than in a template loop: with 2,000 units the loop's variable lookups,
    `{% url %}` and `floatformat` took ~0.5 s, most of the page's time. Plain `str.format` with
    the standard library's `escape` (what Django's `escape` wraps) keeps it to a few ms.
    """
    marker = "987654321"
    url = reverse("health:unit_health", args=[marker])
    tile = (
        '<a class="heat-tile band-{band}{wm_class}" href="{url}" title="{name}: {score_or_none} '
        '({label}){wm_title}"><span class="heat-name">{name}</span><span class="heat-score">'
        '{score_or_dash}{wm_icon}</span><span class="visually-hidden">{label}</span></a>'
    )
    tiles = []
    for s in snapshots:
        score = _whole(s.score) if s.score is not None else None
        tiles.append(
            tile.format(
                band=escape(s.band),
                wm_class=" is-watermelon" if s.watermelon else "",
                url=escape(url.replace(marker, str(s.unit_id))),
                name=escape(s.unit.name),
                score_or_none=score if score is not None else "no data",
                label=escape(str(s.get_band_display())),
                wm_title=", watermelon" if s.watermelon else "",
                score_or_dash=score if score is not None else "\u2014",
                wm_icon=' <i class="bi bi-exclamation-octagon" aria-label="watermelon"></i>'
                if s.watermelon
                else "",
            )
        )
    return mark_safe("\n".join(tiles))  # every value above is escaped


def build_dashboard(user: AnyUser, *, band: str = "", brm: str = "") -> Dashboard:
    # The page never shows the stored facts; loading and decoding 2,000 JSON documents it would
    # not use was a third of its time.
    snapshots = list(latest_snapshots(user).defer("components"))
    bands = dict.fromkeys(BANDS, 0)
    for snap in snapshots:
        bands[snap.band] = bands.get(snap.band, 0) + 1
    watermelons = sorted(
        (s for s in snapshots if s.watermelon), key=lambda s: (s.perception or 0, s.unit.name)
    )
    drops = sorted(
        (s for s in snapshots if s.trend is not None and s.trend < 0), key=lambda s: s.trend
    )[:8]
    heat = [
        s
        for s in snapshots
        if (not band or s.band == band or (band == "watermelon" and s.watermelon))
        and (not brm or str(s.unit.brm_id) == brm)
    ]
    heat.sort(key=_heat_order)
    featured = [s.unit_id for s in watermelons[:8]] + [s.unit_id for s in drops]
    overdue, overdue_count = _overdue_reviews(user)
    return Dashboard(
        snapshots=heat,
        bands=bands,
        watermelons=watermelons,
        drops=drops,
        history=score_history(featured) if featured else {},
        overdue_reviews=overdue,
        overdue_review_count=overdue_count,
        complaint_ageing=_complaint_ageing(user),
        promises=_promises(user),
        demand=_demand(user),
        monthly=_monthly(user),
        average=_average(snapshots),
    )


def _average(snapshots: list[HealthSnapshot]) -> float | None:
    """Mean score of every unit shown, whatever the heat-map filter."""
    scores = [s.score for s in snapshots if s.score is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def _heat_order(s: HealthSnapshot) -> tuple[int, float, str]:
    """Worst first: red before amber, then by score, so attention goes where it is needed."""
    return (BAND_ORDER.get(s.band, 9), s.score if s.score is not None else 999.0, s.unit.name)


def _overdue_reviews(user: AnyUser) -> tuple[list[Any], int]:
    from reviews.selectors import with_review_schedule
    from stakeholders.models import BusinessUnit

    now = timezone.now()
    units = with_review_schedule(
        BusinessUnit.objects.visible_to(user).filter(active=True).select_related("brm")
    ).filter(next_due_at__lt=now)
    return list(units.order_by("next_due_at")[:8]), units.count()


def _complaint_ageing(user: AnyUser) -> list[dict[str, Any]]:
    """Open complaints by severity and age bucket (one query)."""
    from complaints.models import Complaint

    now = timezone.now()
    buckets = {}
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high + 1))
        buckets[f"b{i}"] = Count("id", filter=q)
    rows = Complaint.objects.visible_to(user).open().values("severity").annotate(**buckets)
    by_severity = {r["severity"]: r for r in rows}
    out = []
    for severity in ("critical", "high", "medium", "low"):
        row = by_severity.get(severity, {})
        out.append(
            {"severity": severity, "counts": [row.get(f"b{i}", 0) for i in range(len(AGE_BUCKETS))]}
        )
    return out


def _promises(user: AnyUser) -> dict[str, int]:
    """IT's promises due in the last 90 days: kept on time, late, dropped, still overdue."""
    from stakeholders.models import ActionItem

    today = timezone.localdate()
    return (
        ActionItem.objects.visible_to(user)
        .filter(owner_side="it", due_date__gt=today - timedelta(days=90), due_date__lte=today)
        .aggregate(
            due=Count("id"),
            on_time=Count("id", filter=Q(status="done", completed_at__date__lte=F("due_date"))),
            late=Count("id", filter=Q(status="done", completed_at__date__gt=F("due_date"))),
            dropped=Count("id", filter=Q(status="dropped")),
            overdue=Count("id", filter=Q(status="open")),
        )
    )


def _demand(user: AnyUser) -> dict[str, Any] | None:
    """Planned benefit of demands in flight, and benefits realised (one query each)."""
    from portfolio.models import BenefitRecord, Demand

    in_flight = Demand.objects.visible_to(user).filter(status__in=["approved", "in_delivery"])
    figures = in_flight.aggregate(n=Count("id"), value=Sum("expected_benefit"))
    realised = BenefitRecord.objects.filter(demand__in=Demand.objects.visible_to(user)).aggregate(
        value=Sum("realised_amount")
    )
    return {
        "in_flight": figures["n"],
        "in_flight_value": figures["value"] or 0,
        "realised_value": realised["value"] or 0,
    }


def _monthly(user: AnyUser) -> list[dict[str, Any]]:
    """Complaints filed per month over the last year (one query), for the trend chart."""
    from complaints.models import Complaint

    since = timezone.now() - timedelta(days=365)
    rows = (
        Complaint.objects.visible_to(user)
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [{"month": r["month"].strftime("%Y-%m"), "complaints": r["n"]} for r in rows]
