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
from django.utils.translation import gettext, gettext_lazy

from brm.health.models import Band, HealthSnapshot
from brm.health.selectors import BANDS, latest_snapshots, shown_in_full
from complaints import selectors as complaint_selectors
from portfolio.selectors import demand as demand_selectors
from reviews import selectors as review_selectors
from stakeholders import selectors as register_selectors

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

BAND_ORDER = {"red": 0, "amber": 1, "green": 2, "none": 3}
AGE_BUCKETS = [
    (gettext_lazy("0-7 days"), 0, 7),
    (gettext_lazy("8-30 days"), 8, 30),
    (gettext_lazy("31-90 days"), 31, 90),
    (gettext_lazy("over 90"), 91, None),
]


@dataclass
class Dashboard:
    """The dashboard's figures. `snapshots` are the heat map's tiles as rows (dicts of
    TILE_FIELDS, never model instances: 2,000 units made 6,000 objects); `watermelons` and
    `drops` are the few snapshots shown in full (at most WATERMELONS_SHOWN and DROPS_SHOWN), with
    `watermelon_count` all of them; `unplanned_units` the first UNPLANNED_SHOWN of
    `unplanned_count`."""

    snapshots: list[dict[str, Any]]
    bands: dict[str, int]
    watermelons: list[HealthSnapshot]
    watermelon_count: int
    drops: list[HealthSnapshot]
    history: dict[int, list[dict[str, Any]]]
    overdue_reviews: list[Any]
    overdue_review_count: int
    unplanned_units: list[Any]
    unplanned_count: int
    complaint_ageing: list[dict[str, Any]]
    promises: dict[str, Any]
    demand: dict[str, Any] | None
    monthly: list[dict[str, Any]] = field(default_factory=list)
    average: float | None = None

    @property
    def heat_tiles(self) -> SafeString:
        return heat_tiles(self.snapshots)


# What the heat map, the band counts, the average and the lists' order read of every snapshot.
TILE_FIELDS = (
    *("id", "unit_id", "unit__name", "unit__brm_id"),
    *("band", "score", "watermelon", "perception", "trend"),
)
WATERMELONS_SHOWN = 15
DROPS_SHOWN = 8
UNPLANNED_SHOWN = 8


def _whole(score: float) -> str:
    """`score|floatformat:0` (half up) without the template filter's per-call localisation."""
    return str(Decimal(repr(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def heat_tiles(snapshots: list[dict[str, Any]]) -> SafeString:
    """The heatmap's tiles, one link per unit.

    Built here rather than in a template loop: with 2,000 units the loop's variable lookups,
    `{% url %}` and `floatformat` took ~0.5 s, most of the page's time. Plain `str.format` with
    the standard library's `escape` (what Django's `escape` wraps) keeps it to a few ms.
    """
    marker = "987654321"
    # The URL around the unit id, and each band's class and label, escaped once, not per tile.
    url_start, url_end = (
        escape(part) for part in reverse("health:unit_health", args=[marker]).split(marker)
    )
    bands = {band.value: (escape(band.value), escape(str(band.label))) for band in Band}
    tile = (
        '<a class="heat-tile band-{band}{wm_class}" href="{url_start}{unit_id}{url_end}" '
        'title="{name}: {score_or_none} ({label}){wm_title}"><span class="heat-name">{name}</span>'
        '<span class="heat-score">{score_or_dash}{wm_icon}</span><span class="visually-hidden">'
        "{label}</span></a>"
    ).format
    # The words a tile holds, in the reader's language, escaped once for every tile.
    icon = ' <i class="bi bi-exclamation-octagon" aria-label="{}"></i>'.format(
        escape(gettext("watermelon"))
    )
    no_data, watermelon_title = escape(gettext("no data")), escape(gettext(", watermelon"))
    tiles = []
    for s in snapshots:
        score = _whole(s["score"]) if s["score"] is not None else None
        band, label = bands.get(s["band"]) or (escape(s["band"]), escape(s["band"]))
        watermelon = s["watermelon"]
        tiles.append(
            tile(
                band=band,
                wm_class=" is-watermelon" if watermelon else "",
                url_start=url_start,
                unit_id=int(s["unit_id"]),
                url_end=url_end,
                name=escape(s["unit__name"]),
                score_or_none=score if score is not None else no_data,
                label=label,
                wm_title=watermelon_title if watermelon else "",
                score_or_dash=score if score is not None else "\u2014",
                wm_icon=icon if watermelon else "",
            )
        )
    return mark_safe("\n".join(tiles))  # every value above is escaped


def build_dashboard(user: AnyUser, *, band: str = "", brm: str = "") -> Dashboard:
    """Every figure of the CIO dashboard for the units `user` may see, the heat map filtered by
    `band` (a band or "watermelon") and `brm` (a user id as a string); seven queries on
    PostgreSQL (nine on SQLite: the review grace days and the sparklines apart) whatever the
    number of units.

    Every unit's latest snapshot is read as a row of TILE_FIELDS (the page never shows the stored
    facts, and 2,000 units would make 6,000 objects); only the watermelons and drops shown are
    then loaded in full, with their unit, BRM and facts (one query).
    """
    rows = list(latest_snapshots(user).values(*TILE_FIELDS))
    bands = dict.fromkeys(BANDS, 0)
    for row in rows:
        bands[row["band"]] = bands.get(row["band"], 0) + 1
    watermelon_rows = sorted(
        (r for r in rows if r["watermelon"]),
        key=lambda r: (r["perception"] or 0, r["unit__name"]),
    )
    drop_rows = sorted(
        (r for r in rows if r["trend"] is not None and r["trend"] < 0), key=lambda r: r["trend"]
    )[:DROPS_SHOWN]
    shown = watermelon_rows[:WATERMELONS_SHOWN]
    featured = [r["unit_id"] for r in watermelon_rows[:8]] + [r["unit_id"] for r in drop_rows]
    # In full with their components (the reason a watermelon is one is rendered from its facts)
    # and the featured units' sparkline points, in one query.
    full, history = shown_in_full(user, [r["id"] for r in shown + drop_rows], featured)
    heat = [
        r
        for r in rows
        if (not band or r["band"] == band or (band == "watermelon" and r["watermelon"]))
        and (not brm or str(r["unit__brm_id"]) == brm)
    ]
    heat.sort(key=_heat_order)
    now = timezone.now()
    ageing, monthly = complaint_selectors.ageing_and_monthly(
        user, now, [(low, high) for _label, low, high in AGE_BUCKETS], now - timedelta(days=365)
    )
    overdue, overdue_count = _overdue_reviews(user)
    unplanned, unplanned_count = _unplanned_units(user)
    return Dashboard(
        snapshots=heat,
        bands=bands,
        watermelons=[full[r["id"]] for r in shown if r["id"] in full],
        watermelon_count=len(watermelon_rows),
        drops=[full[r["id"]] for r in drop_rows if r["id"] in full],
        history=history,
        overdue_reviews=overdue,
        overdue_review_count=overdue_count,
        unplanned_units=unplanned,
        unplanned_count=unplanned_count,
        complaint_ageing=_complaint_ageing(ageing),
        promises=_promises(user),
        demand=_demand(user),
        monthly=monthly,
        average=_average(rows),
    )


def _average(rows: list[dict[str, Any]]) -> float | None:
    """Mean score of every unit shown, whatever the heat-map filter."""
    scores = [r["score"] for r in rows if r["score"] is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def _heat_order(r: dict[str, Any]) -> tuple[int, float, str]:
    """Worst first: red before amber, then by score, so attention goes where it is needed."""
    score = r["score"] if r["score"] is not None else 999.0
    return (BAND_ORDER.get(r["band"], 9), score, r["unit__name"])


def _overdue_reviews(user: AnyUser) -> tuple[list[Any], int]:
    """Planned reviews that slipped past their time (the reviews app's one rule): the same rows
    as `/reviews/?view=overdue&mine=false`, the first eight of them shown and how many there
    are (one query: the total rides on the rows as COUNT(*) OVER (), not a second COUNT)."""
    reviews = review_selectors.overdue_reviews(user, timezone.now()).annotate(
        total=Window(Count("pk"))
    )
    first = list(reviews[:8])
    return first, first[0].total if first else 0


def _unplanned_units(user: AnyUser) -> tuple[list[Any], int]:
    """Units the user may see whose review is late with none planned, the first UNPLANNED_SHOWN
    (most overdue first) and how many there are (one query, the total as COUNT(*) OVER ())."""
    units = (
        review_selectors.units_due_without_a_plan(
            register_selectors.units_in_scope(user), timezone.now()
        )
        .annotate(total=Window(Count("pk")))
        .order_by("next_due_at", "name")
    )
    first = list(units[:UNPLANNED_SHOWN])
    return first, first[0].total if first else 0


def _complaint_ageing(rows: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Open complaints by severity and age bucket, from `ageing_and_monthly`'s counts (no
    query); the complaints filed per month, for the trend chart, come from the same query."""
    return [
        {
            "severity": severity,
            "label": complaint_selectors.severity_label(severity),
            "counts": counts,
        }
        for severity, counts in rows.items()
    ]


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
    """Planned benefit of demands in flight, and benefits realised (one query)."""
    return dict(demand_selectors.demand_value(user))
