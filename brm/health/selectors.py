"""Read-side queries of relationship health for the dashboards and the API.

Every function runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Func, IntegerField, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from brm.core import statements
from brm.core.prebuilt import Prebuilt
from brm.health.components import commitment_window
from brm.health.models import HealthSettings, HealthSnapshot, ImprovementPlan, PlanStatus
from complaints import selectors as complaint_selectors
from reviews import selectors as review_selectors
from satisfaction import selectors as survey_selectors
from stakeholders import selectors as register_selectors

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

BANDS = ("red", "amber", "green", "none")


# Built once for IT's readers (brm.core.prebuilt): 0.7 ms of expressions per request.
@Prebuilt
def latest_snapshots(user: AnyUser) -> QuerySet[HealthSnapshot]:
    """Each active unit's newest snapshot that `user` may see, with its unit and BRM joined
    (one query when read; unevaluated)."""
    return (
        HealthSnapshot.objects.visible_to(user)
        .latest_per_unit()
        .filter(unit__active=True)
        .select_related("unit", "unit__brm")
    )


def score_history(unit_ids: list[int], days: int = 90) -> dict[int, list[dict[str, Any]]]:
    """Score points of a few units for sparklines (one query; call with a short list)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        HealthSnapshot.objects.filter(unit_id__in=unit_ids, as_of__gte=since)
        .order_by("as_of")
        .values("unit_id", "as_of", "score", "perception", "delivery")
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["unit_id"]].append(
            {
                "d": r["as_of"].isoformat(),
                "s": r["score"],
                "p": r["perception"],
                "dl": r["delivery"],
            }
        )
    return dict(out)


def unit_history(
    unit_id: int, days: int = 365
) -> tuple[HealthSnapshot | None, list[dict[str, Any]]]:
    """A unit's newest snapshot of the last `days` days in full (None if there is none) and the
    points of every one, oldest first, as `score_history` shapes them (two queries).

    Only the newest is read in full: the points need four columns, and a year of snapshots
    read as models decoded a year of stored facts on every view of the page (issue 14).
    """
    since = timezone.localdate() - timedelta(days=days)
    snapshots = HealthSnapshot.objects.filter(unit_id=unit_id, as_of__gte=since)
    points = [
        {"d": r["as_of"].isoformat(), "s": r["score"], "p": r["perception"], "dl": r["delivery"]}
        for r in snapshots.order_by("as_of").values("as_of", "score", "perception", "delivery")
    ]
    return (snapshots.order_by("-as_of").first() if points else None), points


@dataclass
class Attention:
    """One unit in a BRM's list, with the next best action."""

    snapshot: HealthSnapshot
    actions: list[dict[str, str]]
    urgency: float


@dataclass
class LiveFigures:
    """A unit's figures as they stand now, each counted by its app's one rule, so the number
    in a next action equals the rows of the list it links to."""

    overdue_complaints: int = 0
    overdue_promises: int = 0
    review_days_late: int = 0


def live_figures(
    unit_ids: list[int], now: datetime, *, manager: int | None = None
) -> dict[int, LiveFigures]:
    """Overdue complaints, overdue IT promises and days the review is late per unit of
    `unit_ids` (three queries whatever the number of units).

    `manager`: the id of a user who manages every unit of `unit_ids` (a BRM's own units): the
    three queries then read their units as a subquery, compiled once and replayed with the id
    and the time, instead of a list of every id built anew: "My relationships" spent 17 of its
    31 ms of CPU on them with 207 units (issue 14)."""
    today = timezone.localdate(now)
    complaints = complaint_selectors.overdue_by_unit(unit_ids, now, manager=manager)
    promises = register_selectors.overdue_promises_by_unit(
        unit_ids, today=today, it_only=True, manager=manager
    )
    schedules = review_selectors.review_schedule_by_unit(now, unit_ids, manager=manager)
    return {
        unit_id: LiveFigures(
            overdue_complaints=complaints.get(unit_id, 0),
            overdue_promises=promises.get(unit_id, 0),
            review_days_late=schedules[unit_id].days_late(now) if unit_id in schedules else 0,
        )
        for unit_id in unit_ids
    }


def next_best_actions(snapshot: HealthSnapshot, live: LiveFigures) -> list[dict[str, str]]:
    """What the BRM should do next: counts from `live`, who to meet from the snapshot's facts
    (no query). Each counted action links to the list that shows exactly those rows; its text
    is in the active language."""
    unit_id = snapshot.unit_id
    actions = []
    if live.review_days_late:
        late = live.review_days_late
        actions.append(
            {
                "kind": "review",
                "text": ngettext(
                    "Service review %(n)s day overdue: hold it",
                    "Service review %(n)s days overdue: hold it",
                    late,
                )
                % {"n": late},
                "url": f"/reviews/?unit={unit_id}",
            }
        )
    if live.overdue_complaints:
        actions.append(
            {
                "kind": "complaint",
                "text": ngettext(
                    "%(n)s complaint past the deadline",
                    "%(n)s complaints past the deadline",
                    live.overdue_complaints,
                )
                % {"n": live.overdue_complaints},
                "url": f"/complaints/?unit={unit_id}&overdue=true",
            }
        )
    if live.overdue_promises:
        actions.append(
            {
                "kind": "promise",
                "text": ngettext(
                    "%(n)s IT promise overdue", "%(n)s IT promises overdue", live.overdue_promises
                )
                % {"n": live.overdue_promises},
                "url": f"/commitments/?unit={unit_id}&overdue=true&owner_side=it&mine=false",
            }
        )
    for person in _neglected(snapshot.components)[:2]:
        days = person.get("days")
        text = (
            gettext("Meet %(name)s (never met)")
            if days is None
            else ngettext(
                "Meet %(name)s (not met for %(n)s day)",
                "Meet %(name)s (not met for %(n)s days)",
                days,
            )
        )
        actions.append(
            {
                "kind": "contact",
                "text": text % {"name": person["name"], "n": days},
                "url": f"/stakeholders/{person['id']}/",
            }
        )
    return actions


def promise_list_query(unit_id: int, as_of: date) -> str:
    """The commitment list's query string showing the promises the commitments component of a
    snapshot taken on `as_of` judged: the unit's IT promises due in its window."""
    since, until = commitment_window(as_of, HealthSettings.get())
    return urlencode(
        {
            "unit": unit_id,
            "owner_side": "it",
            "status": "",
            "mine": "false",
            "due_after": since.isoformat(),
            "due_before": until.isoformat(),
        }
    )


# A BRM's units a page of "My relationships" shows: at 200 units one page of all of them took
# most of the request rendering cards nobody scrolls to (issue 14).
RELATIONSHIPS_SHOWN = 25


@dataclass
class Relationships:
    """One page of a BRM's units, most in need of attention first (`items`), and which page of
    how many (`page`, a Django `Page` over the count of units)."""

    items: list[Attention]
    page: Page[int]


class _ContactActions(Func):
    """How many people the engagement component of a stored snapshot names as not met as often
    as expected, up to the two a next action names (PostgreSQL's jsonpath over `components`)."""

    template = (
        "LEAST(2, (jsonb_path_query_first(%(expressions)s, "
        "'$[*] ? (@.key == \"engagement\").data.neglected.size()'))::integer)"
    )
    output_field = IntegerField()


def _urgency(score: float | None, watermelon: bool, trend: float | None, actions: int) -> float:
    """How much a unit needs its BRM now: a low score, a watermelon, each next action and a
    falling trend all raise it."""
    urgency = (100 - (score if score is not None else 75.0)) + (40 if watermelon else 0)
    urgency += 8 * actions + max(0.0, -(trend or 0))
    return round(urgency, 1)


def my_relationships(user: AnyUser, now: datetime | None = None, page: str = "") -> Relationships:
    """Page `page` (a number as a string: the first if it is not one, the last if past it) of
    the units a BRM manages (as BRM or deputy), most in need of attention first (then by name),
    RELATIONSHIPS_SHOWN a page, each with its next best actions.

    Every unit is ranked on a few columns of its latest snapshot and its `live_figures` (on
    PostgreSQL the people to meet are counted inside the stored facts, not read); only the
    page's snapshots are then loaded in full. Five queries whatever the number of units.
    """
    now = now or timezone.now()
    mine = (
        latest_snapshots(user)
        .filter(register_selectors.managed_by(user, "unit__"))
        .order_by("unit__name", "pk")
    )
    fields = ["pk", "unit_id", "score", "watermelon", "trend"]
    if connection.vendor == "postgresql":
        rows = list(
            mine.annotate(contacts=_ContactActions("components")).values(*fields, "contacts")
        )
    else:
        rows = list(mine.values(*fields, "components"))
        for row in rows:
            row["contacts"] = len(_neglected(row.pop("components"))[:2])
    live = live_figures([row["unit_id"] for row in rows], now, manager=user.pk)
    for row in rows:
        figures = live[row["unit_id"]]
        counted = [figures.review_days_late, figures.overdue_complaints, figures.overdue_promises]
        actions = sum(1 for n in counted if n) + (row["contacts"] or 0)
        row["urgency"] = _urgency(row["score"], row["watermelon"], row["trend"], actions)
    rows.sort(key=lambda row: -row["urgency"])
    paginator = Paginator(range(len(rows)), RELATIONSHIPS_SHOWN)
    shown = paginator.get_page(page)
    picked = rows[shown.start_index() - 1 : shown.end_index()] if rows else []
    full = (
        HealthSnapshot.objects.visible_to(user)
        .select_related("unit")
        .in_bulk([row["pk"] for row in picked])
        if picked
        else {}
    )
    items = [
        Attention(
            full[row["pk"]],
            next_best_actions(full[row["pk"]], live[row["unit_id"]]),
            row["urgency"],
        )
        for row in picked
        if row["pk"] in full
    ]
    return Relationships(items, shown)


def _neglected(components: list[dict[str, Any]]) -> list[Any]:
    """The people a stored snapshot's engagement component names as not met as often as
    expected (what `next_best_actions` reads)."""
    data = {row["key"]: row.get("data") or {} for row in components}
    neglected: list[Any] = data.get("engagement", {}).get("neglected", [])
    return neglected


def survey_comments(unit_id: int, days: int = 180, limit: int = 8) -> list[Any]:
    """Recent free-text survey answers of a unit, never from anonymous campaigns (one query)."""
    return survey_selectors.survey_comments(unit_id, timezone.now() - timedelta(days=days), limit)


def active_plans(
    unit_ids: list[int] | None = None, today: date | None = None
) -> QuerySet[ImprovementPlan]:
    """Active plans with their progress (`total`, `done`, `overdue` actions, as of `today`,
    else the local date) counted in the database by the register's promise rules (one query)."""
    qs = ImprovementPlan.objects.filter(status=PlanStatus.ACTIVE)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs.select_related("unit").annotate(
        **register_selectors.progress_aggregates("actions__", today or timezone.localdate())
    )


PLANS_SHOWN = 10


def plans_needing_help(user: AnyUser) -> list[dict[str, Any]]:
    """The dashboard's active plans most in need of help (most overdue actions first, then by
    unit name), at most PLANS_SHOWN, as dicts: `pk`, `unit_id`, `unit__name`, `total`, `done`,
    `overdue` and `plans_total` (how many active plans there are, riding on the rows as
    COUNT(*) OVER (), not a second query). A long tail is one click away on each unit.
    Compiled once and replayed with the day (`brm.core.statements`) for a reader of every unit.
    """

    def build(today: date) -> Any:  # a sliced values QuerySet (mypy reads it as Any)
        return (
            active_plans(today=today)  # type: ignore[misc]
            .annotate(plans_total=Window(Count("pk")))
            .order_by("-overdue", "unit__name")
            .values("pk", "unit_id", "unit__name", "total", "done", "overdue", "plans_total")[
                :PLANS_SHOWN
            ]
        )

    return statements.rows_for(
        user, ("health.plans_needing_help", PLANS_SHOWN), build, today=timezone.localdate()
    )
