"""The CIO dashboard's figures, each from one set-based query, drillable to the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.postgres.aggregates import JSONBAgg
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Func,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from brm.core import statements
from brm.core.links import detail_url
from brm.core.rows import number_text
from brm.health.facts import watermelon_reason_text
from brm.health.models import Band, HealthSnapshot
from brm.health.selectors import BANDS, latest_snapshots, score_history
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
class HeatMap:
    """One page of the heat map, worst first (red before amber, then by score and name): `rows`
    are its tiles as dicts of TILE_FIELDS, never model instances; `page` says which of how many
    (a Django `Page` over the count of matching units) and `qs` is the filter as a query string
    for its links."""

    rows: list[dict[str, Any]]
    page: Page[int]
    qs: str = ""
    # The band counts and average of every unit, when the map is not filtered: they ride on
    # its rows (window aggregates), so `build_dashboard` need not count them again.
    summary: BandSummary | None = None

    @property
    def tiles(self) -> SafeString:
        return heat_tiles(self.rows)


@dataclass
class BandSummary:
    """How many units there are per band (`bands`, every one of BANDS), how many of them are
    watermelons and the sum and count of their scores."""

    bands: dict[str, int]
    watermelons: int = 0
    score_sum: float = 0.0
    scored: int = 0

    @property
    def average(self) -> float | None:
        """The mean score, to one decimal; None if no unit has one."""
        return round(self.score_sum / self.scored, 1) if self.scored else None


@dataclass
class Dashboard:
    """The dashboard's figures but the heat map (`heat_map`). `bands` counts every unit shown per
    band, `average` is their mean score and `unit_count` how many there are (whatever the heat
    map's filter); `watermelons` and `drops` are the few snapshots shown in full (at most
    WATERMELONS_SHOWN and DROPS_SHOWN, as dicts of FEATURED_FIELDS with their `reason` and the
    sparkline's `points` or None, written by `{% watermelon_rows %}` and `{% drop_items %}`),
    with `watermelon_count` all of them; `unplanned_units` the first UNPLANNED_SHOWN of
    `unplanned_count`."""

    bands: dict[str, int]
    watermelons: list[dict[str, Any]]
    watermelon_count: int
    drops: list[dict[str, Any]]
    overdue_reviews: list[Any]
    overdue_review_count: int
    unplanned_units: list[Any]
    unplanned_count: int
    complaint_ageing: list[dict[str, Any]]
    promises: dict[str, Any]
    demand: dict[str, Any] | None
    monthly: list[dict[str, Any]] = field(default_factory=list)
    average: float | None = None
    unit_count: int = 0


# What a heat-map tile reads of a snapshot.
TILE_FIELDS = ("id", "unit_id", "unit__name", "band", "score", "watermelon")
WATERMELONS_SHOWN = 15
DROPS_SHOWN = 8
UNPLANNED_SHOWN = 8
# Tiles per page of the heat map. At 2,000 units one page of every tile was half a megabyte of
# HTML and most of the page's time (issue 14), and nobody reads 2,000 tiles: the worst come
# first, the rest are a page away, and the band counts above still count every unit.
HEAT_SHOWN = 100
# The heat map's filters, and how many of its pages, whose queries are replayed
# (`brm.core.statements`); others are built each time. Each kept page is a statement per filter,
# with or without a BRM, per role: 6 x 2 x 3 pages x 2 roles = 72 of the 256 a process keeps, so
# paging far cannot push the dashboard's other statements out (40 pages could: 960).
HEAT_FILTERS = ("", "watermelon", *BANDS)
HEAT_PAGE_MAX = 1_000_000
HEAT_PAGES_KEPT = 3
# Worst first: red before amber, then by score (no score last), so attention goes where it is
# needed; the name and id make the order total, so pages never repeat or skip a unit.
WORST_FIRST = (
    Case(*(When(band=band, then=Value(rank)) for band, rank in BAND_ORDER.items()), default=9),
    Coalesce("score", Value(999.0)),
    "unit__name",
    "pk",
)


def heat_tiles(snapshots: list[dict[str, Any]]) -> SafeString:
    """The heatmap's tiles, one link per unit.

    Built here rather than in a template loop: with 2,000 units the loop's variable lookups,
    `{% url %}` and `floatformat` took ~0.5 s, most of the page's time. Plain `str.format` with
    the standard library's `escape` (what Django's `escape` wraps) keeps it to a few ms.
    """
    # Each band's class and label, escaped once, not per tile.
    bands = {band.value: (escape(band.value), escape(str(band.label))) for band in Band}
    tile = (
        '<a class="heat-tile band-{band}{wm_class}" href="{url}" '
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
        score = number_text(s["score"]) if s["score"] is not None else None
        band, label = bands.get(s["band"]) or (escape(s["band"]), escape(s["band"]))
        watermelon = s["watermelon"]
        tiles.append(
            tile(
                band=band,
                wm_class=" is-watermelon" if watermelon else "",
                url=escape(detail_url("health:unit_health", s["unit_id"])),
                name=escape(s["unit__name"]),
                score_or_none=score if score is not None else no_data,
                label=label,
                wm_title=watermelon_title if watermelon else "",
                score_or_dash=score if score is not None else "\u2014",
                wm_icon=icon if watermelon else "",
            )
        )
    return mark_safe("\n".join(tiles))  # every value above is escaped


# The band summary's window aggregates over every unit, riding on the unfiltered heat map's rows.
SUMMARY = {
    **{f"band_{band}": Window(Count("pk", filter=Q(band=band))) for band in BANDS},
    "watermelons": Window(Count("pk", filter=Q(watermelon=True))),
    "score_sum": Window(Sum("score")),
    "scored": Window(Count("score")),
}


def heat_map(user: AnyUser, *, band: str = "", brm: str = "", page: str = "") -> HeatMap:
    """Page `page` (a number as a string: the first if it is not one, the last if past it) of
    the heat map of the units `user` may see, filtered by `band` (a band or "watermelon") and
    `brm` (a user id as a string), worst first (WORST_FIRST), HEAT_SHOWN tiles a page. Unfiltered,
    its `summary` counts every unit by band (window aggregates on the same rows).

    One query: the page's rows, with how many units match riding on them (COUNT(*) OVER ()); a
    second only for a page past the last.
    """
    filtered = bool(band or brm)

    def matching(brm_id: int | None = None) -> QuerySet[HealthSnapshot]:
        snapshots = latest_snapshots(user)
        if band == "watermelon":
            snapshots = snapshots.filter(watermelon=True)
        elif band:
            snapshots = snapshots.filter(band=band)
        if brm:
            by_brm = snapshots.filter(unit__brm_id=brm_id) if brm_id is not None else None
            snapshots = by_brm if by_brm is not None else snapshots.none()
        return snapshots

    brm_id = int(brm) if brm.isdecimal() else None

    def page_rows(number: int) -> list[dict[str, Any]]:
        def build(**brm_ids: int) -> Any:  # a QuerySet (mypy reads a sliced one as Any)
            windows: dict[str, Any] = {"total": Window(Count("pk"))} | ({} if filtered else SUMMARY)
            ordered = matching(**brm_ids).annotate(**windows).order_by(*WORST_FIRST)
            return ordered.values(*TILE_FIELDS, *windows)[
                (number - 1) * HEAT_SHOWN : number * HEAT_SHOWN
            ]

        values = {"brm_id": brm_id} if brm_id is not None else {}
        if band not in HEAT_FILTERS or bool(brm) != bool(values) or number > HEAT_PAGES_KEPT:
            # A filter no one offers or a page far down: built each time, so what the URL says
            # cannot fill the statements' LRU.
            return list(build(**values))
        # The key holds all the SQL depends on but the BRM (a value): the band, whether a BRM
        # is asked for, the page and its size.
        key = ("health.heat_map", band, bool(brm), number, HEAT_SHOWN)
        return statements.rows_for(user, key, build, **values)

    # Past the last page is the last page (below); a number too large for an SQL OFFSET is
    # past it too, not a database error.
    number = min(int(page), HEAT_PAGE_MAX) if page.isdecimal() and int(page) > 0 else 1
    rows = page_rows(number)
    total = rows[0]["total"] if rows else 0
    if not rows and number > 1:
        total = matching(brm_id).count()
        number = max(1, (total - 1) // HEAT_SHOWN + 1)
        rows = page_rows(number)
    qs = urlencode({key: value for key, value in (("band", band), ("brm", brm)) if value})
    summary = None
    if not filtered:
        first = rows[0] if rows else {}  # no row: no unit at all
        summary = BandSummary(
            bands={b: first.get(f"band_{b}", 0) for b in BANDS},
            watermelons=first.get("watermelons", 0),
            score_sum=first.get("score_sum") or 0.0,
            scored=first.get("scored", 0),
        )
    return HeatMap(rows, Paginator(range(total), HEAT_SHOWN).page(number), qs, summary)


def _band_summary(latest: QuerySet[HealthSnapshot]) -> BandSummary:
    """`BandSummary` of the snapshots `latest` (one GROUP BY band query)."""
    per_band = list(
        latest.order_by()
        .values("band")
        .annotate(
            units=Count("pk"),
            watermelons=Count("pk", filter=Q(watermelon=True)),
            score_sum=Sum("score"),
            scored=Count("score"),
        )
    )
    return BandSummary(
        bands=dict.fromkeys(BANDS, 0) | {row["band"]: row["units"] for row in per_band},
        watermelons=sum(row["watermelons"] for row in per_band),
        score_sum=sum(row["score_sum"] or 0 for row in per_band),
        scored=sum(row["scored"] for row in per_band),
    )


def build_dashboard(user: AnyUser, summary: BandSummary | None = None) -> Dashboard:
    """Every figure of the CIO dashboard but the heat map (`heat_map`) for the units `user` may
    see; seven queries on PostgreSQL (eight on SQLite: the sparklines apart), one fewer given
    the band `summary` (an unfiltered `heat_map`'s), whatever the number of units.

    Counted, averaged and picked in the database (issue 14: every unit's snapshot was read as a
    row to count and sort them in Python): the band counts and the average from one query; the
    watermelons and drops shown, with their BRM, watermelon facts and sparkline points, in
    another (`_featured` picks them inside it, `featured_rows` reads them).
    """
    if summary is None:
        summary = _band_summary(latest_snapshots(user))
    watermelons, drops = featured_rows(user)
    now = timezone.now()
    ageing, monthly = complaint_selectors.ageing_and_monthly(
        user, now, [(low, high) for _label, low, high in AGE_BUCKETS], now - timedelta(days=365)
    )
    overdue, overdue_count = _overdue_reviews(user)
    unplanned, unplanned_count = _unplanned_units(user)
    return Dashboard(
        bands=summary.bands,
        watermelons=watermelons,
        watermelon_count=summary.watermelons,
        drops=drops,
        overdue_reviews=overdue,
        overdue_review_count=overdue_count,
        unplanned_units=unplanned,
        unplanned_count=unplanned_count,
        complaint_ageing=_complaint_ageing(ageing),
        promises=_promises(user),
        demand=_demand(user),
        monthly=monthly,
        average=summary.average,
        unit_count=sum(summary.bands.values()),
    )


# What a featured row (a watermelon or a fall) reads of its snapshot: `{% watermelon_rows %}`
# and `{% drop_items %}` write them; the BRM's name is `person`'s (full name, else username).
FEATURED_FIELDS = (
    "pk",
    "unit_id",
    "unit__name",
    "unit__brm_id",
    "unit__brm__first_name",
    "unit__brm__last_name",
    "unit__brm__username",
    "band",
    "score",
    "delivery",
    "perception",
    "perception_change",
    "trend",
    "watermelon",
    "watermelon_reason",
)
# Sparklines are drawn for the first few watermelons and every drop shown.
SPARKLINES_OF_WATERMELONS = 8


class _WatermelonFacts(Func):
    """The facts of kind "watermelon" among a stored snapshot's components, as a JSON array
    (PostgreSQL's jsonpath): the reason a watermelon is one, without reading every fact."""

    template = (
        "jsonb_path_query_array(%(expressions)s, '$[*].facts[*] ? (@.kind == \"watermelon\")')"
    )
    output_field = JSONField()


def _visible_featured(user: AnyUser, ids: QuerySet[Any] | None) -> QuerySet[HealthSnapshot]:
    """The snapshots `ids` (None: `_featured` of the latest) that `user` may see."""
    if ids is None:
        ids = _featured(latest_snapshots(user))
    return HealthSnapshot.objects.visible_to(user).filter(pk__in=ids)


def featured_rows(
    user: AnyUser, ids: QuerySet[Any] | None = None, days: int = 90
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The watermelons (unhappiest business first, at most WATERMELONS_SHOWN) and the drops
    (largest fall first, at most DROPS_SHOWN) among the snapshots `ids` (a query of ids; None:
    `_featured` of the latest snapshots of the units `user` may see) that `user` may see, as
    dicts of FEATURED_FIELDS plus `reason` (why it is a watermelon, in the active language, ""
    if it is not one) and `points` (its unit's score points of the last `days` days,
    `score_history`'s shape, for the first SPARKLINES_OF_WATERMELONS watermelons and every
    drop; else None).

    One query on PostgreSQL: the watermelon facts are picked from the stored components and
    the points aggregated (a correlated JSON array over the (unit, as_of) index) inside it; no
    model is built (issue 14: the snapshots in full, with their unit and BRM, and the template
    around them took ~10 ms). For a reader of every unit with `ids` None, that query is
    compiled once and replayed (`brm.core.statements`). Elsewhere (SQLite) the components are
    read and the points are `score_history`'s query.
    """
    postgres = connection.vendor == "postgresql"
    since = timezone.localdate() - timedelta(days=days)
    if postgres:

        def build(since: date) -> Any:  # a QuerySet (mypy reads a sliced or annotated one as Any)
            points = (
                HealthSnapshot.objects.filter(unit=OuterRef("unit"), as_of__gte=since)
                .order_by()
                .values("unit")
                .annotate(
                    points=JSONBAgg(
                        JSONObject(d="as_of", s="score", p="perception", dl="delivery"),
                        order_by="as_of",
                    )
                )
                .values("points")
            )
            return (
                _visible_featured(user, ids)
                .annotate(wm_facts=_WatermelonFacts("components"), points=Subquery(points))
                .values(*FEATURED_FIELDS, "wm_facts", "points")
            )

        if ids is None:
            key = ("health.featured", WATERMELONS_SHOWN, DROPS_SHOWN)
            rows = statements.rows_for(user, key, build, since=since)
        else:
            rows = list(build(since))
    else:
        snapshots = _visible_featured(user, ids)
        rows = list(snapshots.values(*FEATURED_FIELDS, "components"))
    for row in rows:
        facts = row.pop("wm_facts", None)
        components = row.pop("components", None) or [{"facts": facts or []}]
        stored = HealthSnapshot(
            watermelon=row["watermelon"],
            watermelon_reason=row["watermelon_reason"],
            components=components,
        )
        row["reason"] = watermelon_reason_text(stored)
    watermelons = sorted(
        (row for row in rows if row["watermelon"]),
        key=lambda row: (row["perception"] or 0, row["unit__name"], row["pk"]),
    )[:WATERMELONS_SHOWN]
    drops = sorted(
        (row for row in rows if row["trend"] is not None and row["trend"] < 0),
        key=lambda row: (row["trend"], row["unit__name"], row["pk"]),
    )[:DROPS_SHOWN]
    sparklines = {row["unit_id"] for row in watermelons[:SPARKLINES_OF_WATERMELONS] + drops}
    history = {} if postgres else score_history(sorted(sparklines)) if sparklines else {}
    for row in rows:
        if row["unit_id"] not in sparklines:
            row["points"] = None
        elif postgres:
            # score_history's point shape and key order, so the sparklines' JSON is the same.
            row["points"] = [
                {"d": p["d"], "s": p["s"], "p": p["p"], "dl": p["dl"]} for p in row["points"] or []
            ] or None
        else:
            row["points"] = history.get(row["unit_id"])
    return watermelons, drops


def _featured(latest: QuerySet[HealthSnapshot]) -> QuerySet[HealthSnapshot, Any]:
    """The ids of the snapshots the dashboard shows in full, as a query: the watermelons with
    the unhappiest business (at most WATERMELONS_SHOWN) and the largest falls (at most
    DROPS_SHOWN), each picked in the database (a subquery cut by LIMIT)."""
    unhappiest = (Coalesce("perception", Value(0.0)), "unit__name", "pk")
    largest_fall = ("trend", "unit__name", "pk")
    watermelons = latest.filter(watermelon=True).order_by(*unhappiest).values("pk")
    drops = latest.filter(trend__lt=0).order_by(*largest_fall).values("pk")
    return HealthSnapshot.objects.filter(
        Q(pk__in=watermelons[:WATERMELONS_SHOWN]) | Q(pk__in=drops[:DROPS_SHOWN])
    ).values("pk")


def _overdue_reviews(user: AnyUser) -> tuple[list[dict[str, Any]], int]:
    """Planned reviews that slipped past their time (the reviews app's one rule): the same rows
    as `/reviews/?view=overdue&mine=false`, the first eight of them shown (`pk`, `unit__name`,
    `scheduled_at`) and how many there are (one query: the total rides on the rows as
    COUNT(*) OVER (), not a second COUNT)."""

    def build(now: datetime) -> QuerySet[Any, Any]:
        return (
            review_selectors.overdue_reviews(user, now)
            .annotate(total=Window(Count("pk")))
            .values("pk", "unit__name", "scheduled_at", "total")[:8]
        )

    first = statements.rows_for(user, "health.overdue_reviews", build, now=timezone.now())
    return first, first[0]["total"] if first else 0


def _unplanned_units(user: AnyUser) -> tuple[list[dict[str, Any]], int]:
    """Units the user may see whose review is late with none planned, the first UNPLANNED_SHOWN
    (most overdue first: `pk`, `name`, `next_due_at`) and how many there are (one query, the
    total as COUNT(*) OVER ())."""

    def build(now: datetime) -> Any:  # a QuerySet (mypy reads a sliced or annotated one as Any)
        units = review_selectors.units_due_without_a_plan(
            register_selectors.units_in_scope(user), now
        )
        return (
            units.annotate(total=Window(Count("pk")))
            .order_by("next_due_at", "name")
            .values("pk", "name", "next_due_at", "total")[:UNPLANNED_SHOWN]
        )

    first = statements.rows_for(
        user, ("health.unplanned_units", UNPLANNED_SHOWN), build, now=timezone.now()
    )
    return first, first[0]["total"] if first else 0


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
