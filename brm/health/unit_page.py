"""The unit page and its timeline: a cross-app page, so it is assembled here at the top.

The register (`stakeholders`) knows no workflow. Each app exports its part of a unit's history
in its selectors as `timeline_keys(unit, user, *, before, limit)` (scoped `(kind, id, at)`
keys) and `timeline_load(user, ids)` (the rows of the entries shown; see
`stakeholders.selectors.TimelineEntry`), and its figures as selector functions; this module
merges them. The URLs stay in the register's namespace
(`stakeholders:unit_detail`, `stakeholders:unit_timeline`): the project's `urls.py` wires them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import CharField, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from brm.health.models import HealthSnapshot
from complaints import selectors as complaint_selectors
from reviews import selectors as review_selectors
from stakeholders import selectors as register_selectors
from stakeholders.forms import ReassignForm
from stakeholders.models import BusinessUnit
from stakeholders.permissions import may_log_interaction, may_reassign_brm, may_see_analysis
from stakeholders.selectors import TimelineEntry

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

# Each app's part of the timeline: (its sources as (kind, id, at) keys, the loader of its rows).
TIMELINE_PARTS = (
    (register_selectors.timeline_keys, register_selectors.timeline_load),
    (review_selectors.timeline_keys, review_selectors.timeline_load),
    (complaint_selectors.timeline_keys, complaint_selectors.timeline_load),
)
# The same parts as fixed SQL (`stakeholders.selectors.TimelineSQL`), for PostgreSQL: (each app's
# SQL for this unit and user, or None; the reader of a row it wrote).
TIMELINE_SQL_PARTS = (
    (register_selectors.timeline_sql, register_selectors.timeline_object),
    (review_selectors.timeline_sql, review_selectors.timeline_object),
    (complaint_selectors.timeline_sql, complaint_selectors.timeline_object),
)


def _fixed_timeline(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> tuple[list[TimelineEntry], datetime | None] | None:
    """`unit_timeline` in one query of fixed SQL, where every app offers its part as SQL (on
    PostgreSQL, for a user whose scope cuts nothing within the unit); None otherwise.

    The keys of the newest `limit + 1` across every source (each source cut at `limit + 1`, as
    the ORM path does), then the rows of the entries shown read in the same statement, each by
    its app's subquery (a CASE on the kind, so only the entry's own runs). The ORM built and
    compiled the same seven queries on every view: most of the page's CPU (issue 14)."""
    if connection.vendor != "postgresql":
        return None
    parts = [(sql(unit, user), read) for sql, read in TIMELINE_SQL_PARTS]
    params: dict[str, Any] = {"unit": unit.pk, "before": before, "limit": limit + 1}
    keys: list[str] = []
    cases: list[str] = []
    for part, _read in parts:
        if part is None:
            return None
        keys.extend(part.keys)
        cases.extend(f"WHEN '{kind}' THEN {data}" for kind, data in part.data.items())
        params.update(part.params)
    statement = (
        f"WITH keys AS ({' UNION ALL '.join(keys)} ORDER BY 3 DESC, 1 DESC LIMIT %(limit)s)"
        " SELECT keys.entry_id, keys.entry_kind, keys.entry_at,"
        f" CASE keys.entry_kind {' '.join(cases)} END FROM keys ORDER BY 3 DESC, 1 DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    entries = []
    for _id, kind, at, data in rows[:limit]:
        if data is None:  # gone since the keys were read
            continue
        row = json.loads(data) if isinstance(data, str) else data
        for _part, read in parts:
            obj = read(user, kind, row)
            if obj is not None:
                entries.append(TimelineEntry(at, kind, obj))
                break
    next_before = rows[limit - 1][2] if len(rows) > limit else None
    return entries, next_before


def unit_timeline(
    unit: BusinessUnit, user: AnyUser, *, before: datetime | None = None, limit: int = 20
) -> tuple[list[TimelineEntry], datetime | None]:
    """Everything between IT and a unit before `before`, newest first, at most `limit`:
    meetings (with their promises), promises kept, handovers, service reviews held, complaints
    filed and compliments; and the cursor of the next older page (None if there is none).

    The newest `limit + 1` across every source are picked first in one query (a UNION ALL of
    each app's scoped `(kind, id, at)` keys, each cut at `limit + 1`), then only those rows are
    loaded, by each app, with what the page shows of them: two to seven queries whatever the
    history's length, depending on which kinds the page holds. On PostgreSQL, for a user whose
    scope cuts nothing within the unit (every page view: the unit is visible, so it is the
    leader's own or the reader reads every unit), the same in one query of fixed SQL
    (`_fixed_timeline`).
    """
    before = before or timezone.now() + timedelta(days=1)
    fixed = _fixed_timeline(unit, user, before=before, limit=limit)
    if fixed is not None:
        return fixed
    return _orm_timeline(unit, user, before=before, limit=limit)


def _orm_timeline(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> tuple[list[TimelineEntry], datetime | None]:
    """`unit_timeline` through the ORM: each app's scoped keys unioned, then each kind's rows."""
    sources = [
        qs
        for keys, _load in TIMELINE_PARTS
        for qs in keys(unit, user, before=before, limit=limit + 1)
    ]
    rows = list(
        sources[0].union(*sources[1:], all=True).order_by("-entry_at", "-entry_id")[: limit + 1]
    )
    page = rows[:limit]
    ids: dict[str, list[int]] = {}
    for row in page:
        ids.setdefault(row["entry_kind"], []).append(row["entry_id"])
    found: dict[tuple[str, int], Any] = {}
    for _keys, load in TIMELINE_PARTS:
        found.update(load(user, ids))
    entries = [
        TimelineEntry(
            row["entry_at"], row["entry_kind"], found[(row["entry_kind"], row["entry_id"])]
        )
        for row in page
        if (row["entry_kind"], row["entry_id"]) in found
    ]
    next_before = page[-1]["entry_at"] if len(rows) > limit else None
    return entries, next_before


def _before(request: HttpRequest) -> datetime | None:
    """The timeline cursor; a malformed value is ignored rather than an error."""
    try:
        value = parse_datetime(request.GET.get("before", ""))
    except ValueError:
        return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


# The badge's latest snapshot, written once as SQL (issue 14: two correlated subqueries built
# from expressions on every view). The SQL names the unit table: the units stay the outer query.
_LATEST_SNAPSHOT = (
    "SELECT h.{column} FROM " + HealthSnapshot._meta.db_table + " h WHERE h.unit_id = "
    f'"{BusinessUnit._meta.db_table}"."id" ORDER BY h.as_of DESC LIMIT 1'
)


def _with_health_badge(units: QuerySet[BusinessUnit]) -> QuerySet[BusinessUnit]:
    """`units` annotated with the score and band of each one's latest health snapshot (`badge_*`,
    NULL when none was computed yet): the badge costs no query of its own."""
    return units.annotate(
        badge_score=RawSQL(_LATEST_SNAPSHOT.format(column="score"), (), output_field=FloatField()),
        badge_band=RawSQL(_LATEST_SNAPSHOT.format(column="band"), (), output_field=CharField()),
    )


def _health_badge(unit: BusinessUnit) -> HealthSnapshot | None:
    """The latest snapshot as the badge shows it (score and band only), from `_with_health_badge`;
    None when the unit's health was never computed."""
    band = getattr(unit, "badge_band", None)
    if band is None:
        return None
    return HealthSnapshot(unit=unit, score=unit.badge_score, band=band)  # type: ignore[attr-defined]


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit page: figures (each linking to the list of its rows), people, open promises,
    the timeline and the latest health score."""
    # The unit with its figures (people, open and overdue promises, last contact), its health
    # badge, its key people and its first open promises in one query.
    units = register_selectors.unit_page_queryset(request.user)
    unit = get_object_or_404(_with_health_badge(units), pk=pk)
    entries, next_before = unit_timeline(unit, request.user, before=_before(request))
    # The same questions the register's services ask before they write.
    can_edit = may_log_interaction(request.user, unit)
    can_reassign = may_reassign_brm(request.user, unit)
    context = {
        "unit": unit,
        "entries": entries,
        "next_before": next_before,
        "can_edit": can_edit,
        "can_reassign": can_reassign,
        "health": _health_badge(unit),
        "stats": unit,
        "key_people": register_selectors.key_people(unit),
        "open_commitments": register_selectors.unit_open_promises(request.user, unit),
        "sees_analysis": may_see_analysis(request.user),
    }
    if can_reassign:
        context["reassign_form"] = ReassignForm(initial={"new_brm": unit.brm_id})
    return render(request, "stakeholders/unit_detail.html", context)


@login_required
def unit_timeline_region(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline region: refreshed after a meeting is logged, and paged with "older"."""
    before = _before(request)
    # A refresh also sends the figures: the unit comes with them (one query either way).
    units = (
        register_selectors.units_visible_to(request.user)
        if before
        else register_selectors.unit_page_queryset(request.user, panels=False)
    )
    unit = get_object_or_404(units, pk=pk)
    entries, next_before = unit_timeline(unit, request.user, before=before)
    # "Show older" appends a page of entries; a refresh replaces the whole region.
    partial = "timeline-page" if before else "timeline"
    context = {
        "unit": unit,
        "entries": entries,
        "next_before": next_before,
        "sees_analysis": may_see_analysis(request.user),
        # Whether a meeting with no files yet still offers its Files link (to add one).
        "can_edit": may_log_interaction(request.user, unit),
    }
    response = render(request, f"stakeholders/unit_detail.html#{partial}", context)
    if before is None:
        # A refresh follows a change (a meeting logged): the key figures (open promises, last
        # contact...) come along out of band, so the page never shows stale counts.
        figures = render_to_string(
            "stakeholders/unit_detail.html#figures",
            {**context, "stats": unit, "oob": True},
            request=request,
        )
        response.content += figures.encode()
    return response
