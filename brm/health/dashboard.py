"""The CIO dashboard's figures, each from one set-based query, drillable to the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Count, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from brm.health.models import HealthSnapshot
from brm.health.selectors import BANDS, latest_snapshots, score_history
from complaints import selectors as complaint_selectors
from portfolio.selectors import demand as demand_selectors
from reviews import selectors as review_selectors
from stakeholders import selectors as register_selectors

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
    unplanned_units: list[Any]
    complaint_ageing: list[dict[str, Any]]
    promises: dict[str, Any]
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
        (s for s in snapshots if s.trend is not None and s.trend < 0), key=lambda s: s.trend or 0
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
        unplanned_units=_unplanned_units(user),
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
    """Planned reviews that slipped past their time (the reviews app's one rule): the same rows
    as `/reviews/?view=overdue&mine=false`, the first eight of them shown and how many there
    are (one query: the total rides on the rows as COUNT(*) OVER (), not a second COUNT)."""
    reviews = review_selectors.overdue_reviews(user, timezone.now()).annotate(
        total=Window(Count("pk"))
    )
    first = list(reviews[:8])
    return first, first[0].total if first else 0


def _unplanned_units(user: AnyUser) -> list[Any]:
    """Units the user may see whose review is late with none planned (one query)."""
    units = review_selectors.units_due_without_a_plan(
        register_selectors.units_in_scope(user), timezone.now()
    )
    return list(units.order_by("next_due_at", "name"))


def _complaint_ageing(user: AnyUser) -> list[dict[str, Any]]:
    """Open complaints by severity and age bucket (one query)."""
    rows = complaint_selectors.open_ageing(
        user, timezone.now(), [(low, high) for _label, low, high in AGE_BUCKETS]
    )
    return [{"severity": severity, "counts": counts} for severity, counts in rows.items()]


PROMISE_DAYS = 90


def promise_window(today: date) -> tuple[date, date]:
    """The due dates of the promises tile: the last 90 days up to today (both inclusive)."""
    return today - timedelta(days=PROMISE_DAYS - 1), today


def _promises(user: AnyUser) -> dict[str, Any]:
    """IT's promises due in the last 90 days: kept on time, late, dropped, still overdue, and
    the query string of the commitment list showing each figure's rows (one query)."""
    today = timezone.localdate()
    since, until = promise_window(today)
    counts: dict[str, Any] = register_selectors.promise_counts(since, until, user=user, today=today)
    base = {
        "mine": "false",
        "status": "",
        "owner_side": "it",
        "due_after": since.isoformat(),
        "due_before": until.isoformat(),
    }
    counts["links"] = {"due": urlencode(base)}
    for key in ("on_time", "late", "dropped", "overdue", "open"):
        counts["links"][key] = urlencode({**base, "outcome": key})
    return counts


def _demand(user: AnyUser) -> dict[str, Any] | None:
    """Planned benefit of demands in flight, and benefits realised (one query each)."""
    return dict(demand_selectors.demand_value(user))


def _monthly(user: AnyUser) -> list[dict[str, Any]]:
    """Complaints filed per month over the last year (one query), for the trend chart."""
    return complaint_selectors.filed_per_month(user, timezone.now() - timedelta(days=365))
