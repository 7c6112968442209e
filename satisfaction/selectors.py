"""Read-side of surveys: response rates, results aggregates and perception per unit.

Everything is aggregated in the database (`values().annotate()`), so the number of queries does
not grow with responses, units or services. Anonymous campaigns never expose single answers:
every reader (results page, API, health facts, digest, unit page) gets its figures through
`protect` (primary and complementary suppression): groups smaller than the anonymity minimum are
hidden, a second group or the total is hidden so no hidden figure follows by subtraction, and no
distribution or comment of a hidden group is returned. Units partition a run's total, runs a
series' total, and each service's per-unit ratings its all-units rating (`_protect_services`),
so what one role sees (a leader's own unit) and another sees (the CIO's totals) never differ by
a hidden group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When

from brm.core import statements
from satisfaction.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Invitation,
    QuestionKind,
    SatisfactionSettings,
)

CSAT = Q(question__kind=QuestionKind.CSAT)
NPS = Q(question__kind=QuestionKind.NPS)

# The two measures a group reports; each is hidden on its own when too few answered it.
MEASURES = ("csat", "nps")


def _score_aggregates() -> dict[str, Any]:
    """Additive aggregates of a group of answers: they can be summed across groups (a series is
    the sum of its runs, a campaign the sum of its units), so one GROUP BY (run, unit) query
    gives every figure a results page shows."""
    return {
        "responses": Count("response", distinct=True),
        "csat_sum": Sum("score", filter=CSAT),
        "csat_n": Count("id", filter=CSAT & Q(score__isnull=False)),
        "promoters": Count("id", filter=NPS & Q(score__gte=9)),
        "passives": Count("id", filter=NPS & Q(score__gte=7, score__lte=8)),
        "detractors": Count("id", filter=NPS & Q(score__lte=6)),
        "nps_n": Count("id", filter=NPS & Q(score__isnull=False)),
    }


def nps(promoters: int, detractors: int, total: int) -> float | None:
    """% promoters (9-10) minus % detractors (0-6), one decimal; None without answers."""
    if not total:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


@dataclass
class Tally:
    """Sums of one group of answers (see `_score_aggregates`); `+` merges two groups."""

    responses: int = 0
    csat_sum: float = 0.0
    csat_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps_n: int = 0

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Tally:
        return cls(
            responses=int(row.get("responses") or 0),
            csat_sum=float(row.get("csat_sum") or 0),
            csat_n=int(row.get("csat_n") or 0),
            promoters=int(row.get("promoters") or 0),
            passives=int(row.get("passives") or 0),
            detractors=int(row.get("detractors") or 0),
            nps_n=int(row.get("nps_n") or 0),
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    def figures(self, key: Any = None, label: str = "") -> Figures:
        return Figures(
            key=key,
            label=label,
            responses=self.responses,
            csat_mean=self.csat_sum / self.csat_n if self.csat_n else None,
            csat_n=self.csat_n,
            promoters=self.promoters,
            passives=self.passives,
            detractors=self.detractors,
            nps_n=self.nps_n,
        )


@dataclass
class Figures:
    """CSAT/NPS of one group (a campaign, run, unit or service), or why it is hidden.

    `suppressed`: the whole group is hidden (fewer responses than the anonymity minimum, or every
    measure hidden). `csat_hidden` / `nps_hidden`: that measure alone is hidden (too few answered
    it, or it is hidden so that another hidden group cannot be derived by subtraction).
    """

    key: Any = None
    label: str = ""
    responses: int = 0
    csat_mean: float | None = None
    csat_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps_n: int = 0
    suppressed: bool = False
    csat_hidden: bool = False
    nps_hidden: bool = False

    @property
    def nps(self) -> float | None:
        return None if self.nps_hidden else nps(self.promoters, self.detractors, self.nps_n)

    def pct(self, part: int) -> float | None:
        if self.nps_hidden:
            return None
        return round(100.0 * part / self.nps_n, 1) if self.nps_n else None

    @property
    def promoters_pct(self) -> float | None:
        return self.pct(self.promoters)

    @property
    def passives_pct(self) -> float | None:
        return self.pct(self.passives)

    @property
    def detractors_pct(self) -> float | None:
        return self.pct(self.detractors)

    def count(self, measure: str) -> int:
        """How many answers the measure ("csat" or "nps") rests on."""
        return self.csat_n if measure == "csat" else self.nps_n

    def hidden(self, measure: str) -> bool:
        return self.suppressed or (self.csat_hidden if measure == "csat" else self.nps_hidden)

    def hide(self, measure: str) -> None:
        """Blank one measure's values (the answer counts stay: they reveal no score)."""
        if measure == "csat":
            self.csat_mean, self.csat_hidden = None, True
        else:
            self.promoters = self.passives = self.detractors = 0
            self.nps_hidden = True
        if all(self.hidden(m) or not self.count(m) for m in MEASURES) and any(
            self.count(m) for m in MEASURES
        ):
            self.suppress()

    def suppress(self) -> None:
        self.suppressed = self.csat_hidden = self.nps_hidden = True
        self.csat_mean = None
        self.promoters = self.passives = self.detractors = 0

    def as_dict(self) -> dict[str, Any]:
        if self.suppressed:
            return {"key": self.key, "label": self.label, "suppressed": True}
        return {
            "key": self.key,
            "label": self.label,
            "suppressed": False,
            "responses": self.responses,
            "csat": round(self.csat_mean, 2) if self.csat_mean is not None else None,
            "csat_answers": self.csat_n,
            "nps": self.nps,
            "nps_answers": self.nps_n,
            "promoters": None if self.nps_hidden else self.promoters,
            "passives": None if self.nps_hidden else self.passives,
            "detractors": None if self.nps_hidden else self.detractors,
        }


def protect(groups: list[Figures], total: Figures | None, min_group: int) -> None:
    """The anonymity rule, in place: primary then complementary suppression.

    Primary: a group (or the total) with fewer than `min_group` responses is suppressed; a
    measure (CSAT, NPS) answered fewer than `min_group` times is hidden. Complementary: when
    `groups` partition a shown `total` (units of a campaign, runs of a series), the hidden
    groups of a measure must together hold at least `min_group` answers, otherwise "total minus
    the shown groups" gives the hidden one away: the smallest shown group is hidden too, one at
    a time, and if none is left the total's measure is hidden. `total` None: the groups share
    no shown total (services), only the primary rule applies. `min_group` <= 1: nothing hidden
    (named campaigns). Groups already hidden (by another partition) stay hidden.
    """
    if min_group <= 1:
        return
    for f in [*groups, *([total] if total is not None else [])]:
        if f.responses < min_group:
            f.suppress()
        for m in MEASURES:
            if 0 < f.count(m) < min_group and not f.hidden(m):
                f.hide(m)
    if total is None:
        return
    for m in MEASURES:
        if total.hidden(m):
            continue
        hidden = [g for g in groups if g.count(m) and g.hidden(m)]
        shown = sorted(
            (g for g in groups if g.count(m) and not g.hidden(m)), key=lambda g: g.count(m)
        )
        while hidden and sum(g.count(m) for g in hidden) < min_group:
            if not shown:
                total.hide(m)
                break
            extra = shown.pop(0)
            extra.hide(m)
            hidden.append(extra)


def _narrowed(figs: list[Figures], key: Any = None, label: str = "") -> Figures:
    """The sum of some groups of a protected partition (a leader's own unit): a measure is
    hidden when it is hidden in any of them, so no hidden group shows through the sum."""
    tally = Tally()
    for f in figs:
        tally += Tally(
            f.responses,
            (f.csat_mean or 0.0) * f.csat_n,
            f.csat_n,
            f.promoters,
            f.passives,
            f.detractors,
            f.nps_n,
        )
    out = tally.figures(key, label)
    for m in MEASURES:
        if any(f.hidden(m) and f.count(m) for f in figs):
            out.hide(m)
    if any(f.suppressed for f in figs):
        out.suppress()
    return out


@dataclass
class Series:
    """The protected figures of one campaign or recurring series, for one reader."""

    overall: Figures
    by_unit: list[Figures]
    runs: dict[int, Figures]


def _cell_rows(answers: QuerySet[Any]) -> list[dict[str, Any]]:
    return list(
        answers.values("response__campaign", "response__unit", "response__unit__name")
        .annotate(**_score_aggregates())
        .order_by("response__unit__name", "response__unit", "response__campaign")
    )


def _protect_series(
    cells: list[dict[str, Any]], min_group: int, unit_ids: list[int] | None
) -> Series:
    """The one place every results reader gets its figures from.

    `cells`: one row per (run, unit) with `_score_aggregates` sums, for every run of a campaign
    or series and every unit (never pre-narrowed: suppression is decided on the whole). Units
    are protected within each run and across the series, runs within the series; `unit_ids`
    then narrows the overall and each run to those units (a leader), hiding a measure hidden in
    any of them.
    """
    by_run_unit: dict[int, dict[int, tuple[str, Tally]]] = {}
    for row in cells:
        by_run_unit.setdefault(row["response__campaign"], {})[row["response__unit"]] = (
            row["response__unit__name"],
            Tally.of(row),
        )
    wanted = set(unit_ids) if unit_ids is not None else None
    runs: dict[int, Figures] = {}
    unit_totals: dict[int, tuple[str, Tally]] = {}
    for run_id, units in by_run_unit.items():
        unit_figs = {u: t.figures(u, name) for u, (name, t) in units.items()}
        run_total = sum((t for _, t in units.values()), Tally()).figures(run_id)
        protect(list(unit_figs.values()), run_total, min_group)
        if wanted is None:
            runs[run_id] = run_total
        else:
            runs[run_id] = _narrowed([f for u, f in unit_figs.items() if u in wanted], run_id)
        for u, (name, t) in units.items():
            prev = unit_totals.get(u, (name, Tally()))[1]
            unit_totals[u] = (name, prev + t)
    by_unit = [t.figures(u, name) for u, (name, t) in unit_totals.items()]
    overall = sum((t for _, t in unit_totals.values()), Tally()).figures(None, "All")
    protect(by_unit, overall, min_group)
    if wanted is not None:
        overall = _narrowed([f for f in by_unit if f.key in wanted], None, "All")
        by_unit = [f for f in by_unit if f.key in wanted]
    if len(runs) > 1:
        protect(list(runs.values()), overall, min_group)
    elif runs and min_group > 1:
        # A single run is the overall: show them alike.
        (only,) = runs.values()
        for m in MEASURES:
            if overall.hidden(m) and only.count(m):
                only.hide(m)
        if overall.suppressed:
            only.suppress()
    if min_group > 1 and overall.responses == 0:
        overall.suppress()
    return Series(overall, by_unit, runs)


COMMENTS_PER_PAGE = 25


@dataclass
class Results:
    campaign: Campaign
    min_group: int
    overall: Figures
    by_unit: list[Figures] = field(default_factory=list)
    by_service: list[Figures] = field(default_factory=list)
    distribution: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    # Paging through comments, newest first: where this page starts and whether older ones exist.
    comments_from: int = 0
    older_comments: bool = False

    @property
    def anonymous(self) -> bool:
        return self.campaign.anonymous

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.pk,
            "anonymous": self.anonymous,
            "min_group": self.min_group if self.anonymous else None,
            "overall": self.overall.as_dict(),
            "by_unit": [f.as_dict() for f in self.by_unit],
            "by_service": [f.as_dict() for f in self.by_service],
            "distribution": self.distribution,
        }


def campaign_answers(campaign: Campaign, unit_ids: Iterable[int] | None = None) -> QuerySet[Any]:
    """Answers of a campaign, or of all runs of a recurring series."""
    qs = Answer.objects.filter(
        Q(response__campaign=campaign) | Q(response__campaign__parent=campaign)
    )
    if unit_ids is not None:
        qs = qs.filter(response__unit_id__in=list(unit_ids))
    return qs


def results(
    campaign: Campaign,
    *,
    unit_ids: Iterable[int] | None = None,
    conf: SatisfactionSettings | None = None,
    with_comments: bool = True,
    comments_from: int = 0,
) -> Results:
    """Results of a campaign (or series), in four queries whatever its size: the (run, unit)
    cells, per service, the score distribution and (not anonymous) the comments.

    `unit_ids` narrows everything to those units (a leader's own unit). Anonymous campaigns go
    through `protect` (primary and complementary suppression, decided on all units and runs
    before narrowing): no figure, distribution or comment of a hidden group is returned, and
    none can be derived by subtracting shown figures from a shown total.

    Comments come a page at a time (COMMENTS_PER_PAGE, newest first, starting at the
    `comments_from`-th); one row more is read to know whether older ones exist, so paging costs
    no COUNT query.
    """
    conf = conf or SatisfactionSettings.get()
    comments_from = max(0, comments_from)
    hide = conf.anonymity_min_group if campaign.anonymous else 0
    wanted = list(unit_ids) if unit_ids is not None else None
    answers = campaign_answers(campaign)
    series = _protect_series(_cell_rows(answers), hide, wanted)
    overall = series.overall
    by_unit = sorted(series.by_unit, key=lambda f: (f.label, f.key))
    narrowed = campaign_answers(campaign, wanted)
    by_service = _protect_services(
        _service_cells(answers.filter(question__kind=QuestionKind.SERVICE_RATING)), hide, wanted
    )
    distribution: dict[str, list[dict[str, int]]] = {"csat": [], "nps": []}
    if not (overall.hidden("csat") and overall.hidden("nps")):
        counts = {
            (r["question__kind"], r["score"]): r["n"]
            for r in narrowed.filter(
                question__kind__in=[QuestionKind.CSAT, QuestionKind.NPS], score__isnull=False
            )
            .values("question__kind", "score")
            .annotate(n=Count("id"))
        }
        # A distribution is shown only where the measure itself is shown.
        if not overall.hidden("csat"):
            distribution["csat"] = [
                {"score": s, "count": counts.get(("csat", s), 0)} for s in range(1, 6)
            ]
        if not overall.hidden("nps"):
            distribution["nps"] = [
                {"score": s, "count": counts.get(("nps", s), 0)} for s in range(0, 11)
            ]
    comments: list[dict[str, Any]] = []
    if with_comments and not campaign.anonymous:
        comments = list(
            narrowed.filter(question__kind=QuestionKind.FREE_TEXT)
            .exclude(text="")
            .values("text", "response__unit__name", "response__submitted_at", "question__text")
            .order_by("-response__submitted_at", "-pk")[
                comments_from : comments_from + COMMENTS_PER_PAGE + 1
            ]
        )
    return Results(
        campaign,
        conf.anonymity_min_group,
        overall,
        by_unit,
        by_service,
        distribution,
        comments[:COMMENTS_PER_PAGE],
        comments_from,
        len(comments) > COMMENTS_PER_PAGE,
    )


def _service_cells(answers: QuerySet[Any]) -> list[dict[str, Any]]:
    """Service ratings per (service, unit), one query: the cells `_protect_services` decides on."""
    return list(
        answers.filter(service__isnull=False)
        .values("service", "service__name", "response__unit")
        .annotate(
            responses=Count("response", distinct=True), csat_sum=Sum("score"), csat_n=Count("id")
        )
        .order_by("service__name", "service", "response__unit")
    )


def _protect_services(
    cells: list[dict[str, Any]], min_group: int, unit_ids: list[int] | None
) -> list[Figures]:
    """The figure of each rated service, protected like the units of a campaign.

    A service's rating over all units (what IT staff and the CIO see) is the total of its
    per-unit cells, and a leader sees the cells of their own unit: so each service's cells are
    one partition of its total (`protect`: primary and complementary suppression, decided on all
    units before narrowing to `unit_ids`). Without that, the all-units figure minus one unit's
    would give away another unit's single rating."""
    by_service: dict[int, tuple[str, dict[int, Tally]]] = {}
    for row in cells:
        tally = Tally(
            responses=row["responses"], csat_sum=float(row["csat_sum"] or 0), csat_n=row["csat_n"]
        )
        by_service.setdefault(row["service"], (row["service__name"], {}))[1][
            row["response__unit"]
        ] = tally
    wanted = set(unit_ids) if unit_ids is not None else None
    out: list[Figures] = []
    for service, (name, units) in by_service.items():
        unit_figs = {u: t.figures(u, name) for u, t in units.items()}
        total = sum(units.values(), Tally()).figures(service, name)
        protect(list(unit_figs.values()), total, min_group)
        if wanted is None:
            out.append(total)
            continue
        own = [f for u, f in unit_figs.items() if u in wanted]
        if own:
            out.append(_narrowed(own, service, name))
    return out


def trend(
    campaigns: QuerySet[Any] | Sequence[int],
    *,
    unit_ids: Iterable[int] | None = None,
    hide_below: int = 0,
) -> list[dict[str, Any]]:
    """CSAT and NPS per campaign run, oldest first, in two queries.

    `campaigns`: the runs asked for, as a queryset or as their ids (a page of the API's list);
    `unit_ids`: the units the reader may see (None: every unit); `hide_below`: the anonymity
    minimum (responses). Each row is a `Figures.as_dict()` plus `date` (ISO, "" if never opened).

    Each row is protected as `results` protects it: the run's figure is decided with all its
    units and, for runs of a recurring series, with all the series' runs (a hidden run cannot
    be derived from the series total minus the others), then narrowed to `unit_ids`.

    Given ids, both queries are compiled once per shape (how many runs, anonymous runs and
    units) and replayed with the ids (`brm.core.statements`): building and compiling the
    aggregate was most of the API list's time (issue 14). The SQL reads no reader's scope: the
    caller gives the runs and units the reader may see.
    """
    wanted = list(dict.fromkeys(unit_ids)) if unit_ids is not None else None
    if isinstance(campaigns, QuerySet):
        asked: QuerySet[Any] | None = campaigns
        asked_ids: list[int] = []
        runs = list(_trend_runs(campaigns))
    else:
        asked, asked_ids = None, list(dict.fromkeys(campaigns))
        if not asked_ids:
            return []
        runs = statements.rows(
            ("satisfaction.trend.runs", len(asked_ids)),
            lambda **ids: _trend_runs(_campaigns_of(ids.values())),
            **_named("c", asked_ids),
        )
    wanted_ids = {run["pk"] for run in runs if run["asked"]}
    anonymous_series = {_series(run) for run in runs if run["anonymous"]}
    # Every run the rows come from (those asked for, and the other runs of their series), and
    # which series have an anonymous run: only those need a cell per unit to be protected.
    per_unit_runs = [run["pk"] for run in runs if _series(run) in anonymous_series]
    if asked is not None:
        query = _trend_cells(asked, per_unit_runs, wanted)
        cells = cast("list[dict[str, Any]]", list(query))
    else:
        ids = {
            **_named("c", asked_ids),
            **_named("a", per_unit_runs),
            **_named("w", wanted or []),
        }
        shape = (len(asked_ids), len(per_unit_runs), None if wanted is None else len(wanted))

        def build(**values: Any) -> QuerySet[Any]:
            def picked(prefix: str) -> list[Any]:
                return [v for name, v in values.items() if name[0] == prefix]

            return _trend_cells(
                _campaigns_of(picked("c")), picked("a"), None if wanted is None else picked("w")
            )

        cells = statements.rows(("satisfaction.trend.cells", shape), build, **ids)
    return _trend_rows(cells, wanted, wanted_ids, hide_below)


def _named(prefix: str, ids: Iterable[int]) -> dict[str, int]:
    """`{"c0": 12, "c1": 15}`: ids as the named values of a replayed statement."""
    return {f"{prefix}{i}": pk for i, pk in enumerate(ids)}


def _campaigns_of(ids: Iterable[int]) -> QuerySet[Campaign]:
    return Campaign.objects.filter(pk__in=list(ids))


def _series(run: Mapping[str, Any]) -> Any:
    """A run's series: its parent campaign, or the run itself when it has none."""
    return run["parent"] or ("own", run["pk"])


def _trend_runs(campaigns: QuerySet[Any]) -> QuerySet[Any]:
    """The runs `campaigns` ask for and the other runs of their series: pk, parent, anonymous
    and whether it was asked for."""
    parents = campaigns.filter(parent__isnull=False).values("parent")
    return (
        Campaign.objects.filter(Q(pk__in=campaigns) | Q(parent__in=parents))
        .annotate(asked=Case(When(pk__in=campaigns, then=Value(True)), default=Value(False)))
        .values("pk", "parent", "anonymous", "asked")
    )


def _trend_cells(
    campaigns: QuerySet[Any], per_unit_runs: list[int], wanted: list[int] | None
) -> QuerySet[Any]:
    """One row of `_score_aggregates` per run and cell: per unit for the runs of anonymous
    series (`per_unit_runs`) and the units in `wanted`, one cell with no unit otherwise."""
    parents = campaigns.filter(parent__isnull=False).values("parent")
    per_unit = Q(response__campaign__in=per_unit_runs)
    if wanted is not None:
        per_unit |= Q(response__unit__in=wanted)
    # A run of a named series needs no cell per unit (nothing is hidden): its answers outside
    # `wanted` are summed in one cell with no unit, so a campaign sent to 2,000 units is one row,
    # not 2,000 (issue 14).
    # Each row also has the aggregates passed as ** below, which the checker cannot name.
    return (
        Answer.objects.filter(
            Q(response__campaign__in=campaigns) | Q(response__campaign__parent__in=parents)
        )
        .annotate(
            cell_unit=Case(When(per_unit, then=F("response__unit")), default=None),
            cell_unit_name=Case(When(per_unit, then=F("response__unit__name")), default=None),
        )
        .values(
            "response__campaign",
            "response__campaign__parent",
            "response__campaign__name",
            "response__campaign__opened_at",
            "response__campaign__anonymous",
            "cell_unit",
            "cell_unit_name",
        )
        .annotate(**_score_aggregates())
        .order_by("response__campaign__opened_at", "response__campaign", "cell_unit")
    )


def _trend_rows(
    cells: list[dict[str, Any]],
    wanted: list[int] | None,
    wanted_ids: set[int],
    hide_below: int,
) -> list[dict[str, Any]]:
    """`trend`'s rows from its cells: each series protected, then the runs asked for."""
    rows = [
        {**row, "response__unit": row["cell_unit"], "response__unit__name": row["cell_unit_name"]}
        for row in cells
    ]
    series_cells: dict[Any, list[dict[str, Any]]] = {}
    meta: dict[int, dict[str, Any]] = {}
    for row in rows:
        run = row["response__campaign"]
        series_cells.setdefault(row["response__campaign__parent"] or ("own", run), []).append(row)
        meta[run] = row
    figures: dict[int, Figures] = {}
    for series in series_cells.values():
        hide = hide_below if series[0]["response__campaign__anonymous"] else 0
        figures.update(_protect_series(series, hide, wanted).runs)
    out = []
    for run, row in meta.items():
        if run not in wanted_ids:
            continue
        fig = figures[run]
        fig.label = row["response__campaign__name"]
        d = fig.as_dict()
        opened = row["response__campaign__opened_at"]
        d["date"] = opened.date().isoformat() if opened else ""
        out.append(d)
    return out


@dataclass
class Rate:
    invited: int
    sent: int
    answered: int
    reminded: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.answered / self.sent, 1) if self.sent else 0.0


def response_rate(campaign: Campaign) -> Rate:
    """Invited, sent, answered and reminded counts of a campaign (and its runs), one query."""
    row = Invitation.objects.filter(Q(campaign=campaign) | Q(campaign__parent=campaign)).aggregate(
        invited=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        reminded=Count("id", filter=Q(reminders_sent__gt=0)),
    )
    return Rate(**row)


def perception_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, Any]]:
    """Per unit: CSAT mean, NPS and response count of the survey answers of [since, until).

    For the health engine (unit page, digest, history), in one set-based query. Named answers
    count by their submission time. Anonymous answers go through the same `protect` rule as the
    results pages: they count only as a whole (run, unit) group that the run's results show, and
    only once the run has closed, dated at its closing, so a unit's perception never rests on a
    hidden group and no single anonymous answer shows as the difference between two days.
    Each value is a plain dict: unit_id, csat (mean 1-5 or None), nps (-100..100 or None),
    responses, csat_answers, nps_answers. A unit with nothing to show is left out.
    """
    named = Q(
        response__campaign__anonymous=False,
        response__submitted_at__gte=since,
        response__submitted_at__lt=until,
    )
    anonymous = Q(
        response__campaign__anonymous=True,
        response__campaign__status=CampaignStatus.CLOSED,
        response__campaign__closed_at__gte=since,
        response__campaign__closed_at__lt=until,
    )
    rows = (
        Answer.objects.filter(named | anonymous)
        .filter(question__kind__in=[QuestionKind.CSAT, QuestionKind.NPS])
        .values("response__campaign", "response__campaign__anonymous", "response__unit")
        .annotate(**_score_aggregates())
        .order_by()
    )
    totals: dict[int, Tally] = {}
    anonymous_runs: dict[int, dict[int, Tally]] = {}
    # Each row also has the aggregates passed as ** above, which the checker cannot name.
    for r in cast("Iterable[dict[str, Any]]", rows):
        unit, tally = r["response__unit"], Tally.of(r)
        if r["response__campaign__anonymous"]:
            anonymous_runs.setdefault(r["response__campaign"], {})[unit] = tally
        else:
            totals[unit] = totals.get(unit, Tally()) + tally
    # The settings are read only when there are anonymous answers to protect.
    min_group = SatisfactionSettings.get().anonymity_min_group if anonymous_runs else 0
    for units in anonymous_runs.values():
        figs = {u: t.figures(u) for u, t in units.items()}
        protect(list(figs.values()), sum(units.values(), Tally()).figures(), min_group)
        for u, f in figs.items():
            shown = Tally(
                responses=0 if f.suppressed else f.responses,
                csat_sum=0.0 if f.hidden("csat") else units[u].csat_sum,
                csat_n=0 if f.hidden("csat") else f.csat_n,
                promoters=0 if f.hidden("nps") else f.promoters,
                passives=0 if f.hidden("nps") else f.passives,
                detractors=0 if f.hidden("nps") else f.detractors,
                nps_n=0 if f.hidden("nps") else f.nps_n,
            )
            if shown.responses:
                totals[u] = totals.get(u, Tally()) + shown
    return {
        unit: {
            "unit_id": unit,
            "csat": round(t.csat_sum / t.csat_n, 2) if t.csat_n else None,
            "nps": nps(t.promoters, t.detractors, t.nps_n),
            "responses": t.responses,
            "csat_answers": t.csat_n,
            "nps_answers": t.nps_n,
        }
        for unit, t in totals.items()
        if t.responses
    }


def invitations_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Survey invitations sent in [since, until] per stakeholder unit: `invited`, `answered` and
    `people` (distinct stakeholders asked) (one query), for the ISO/IEC 20000 evidence report."""
    rows = (
        Invitation.objects.filter(sent_at__range=(since, until))
        .order_by()
        .values("stakeholder__unit_id")
        .annotate(
            invited=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            people=Count("stakeholder", distinct=True),
        )
    )
    return {
        r["stakeholder__unit_id"]: {
            "invited": r["invited"],
            "answered": r["answered"],
            "people": r["people"],
        }
        for r in rows
    }


def survey_comments(unit_id: int, since: datetime, limit: int = 8) -> list[dict[str, Any]]:
    """A unit's recent free-text answers (submitted since `since`), newest first, never from
    anonymous campaigns (one query): dicts of `text`, `response__submitted_at`,
    `response__campaign_id` and `response__campaign__name`. Compiled once and replayed with
    the unit and the instant (`brm.core.statements`): the unit page's section for IT."""

    def build(unit_id: int, since: datetime) -> Any:  # a sliced values QuerySet
        return (
            Answer.objects.filter(
                response__unit_id=unit_id,
                response__submitted_at__gte=since,
                response__campaign__anonymous=False,
                question__kind=QuestionKind.FREE_TEXT,
            )
            .exclude(text="")
            .order_by("-response__submitted_at", "-pk")
            .values(
                "text",
                "response__submitted_at",
                "response__campaign_id",
                "response__campaign__name",
            )[:limit]
        )

    key = ("satisfaction.survey_comments", limit)
    return statements.rows(key, build, unit_id=unit_id, since=since)
