"""Read-side queries of the demand portfolio: the ranked board, the kanban and value leakage.

Every figure is computed in the database (sums, window ranks), so a page costs the same number
of queries with 5 demands or 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from brm.core import statements
from brm.core.search import DEFAULT_LIMIT, SearchHit, SearchResults, text_search
from portfolio.models.demand import (
    CLOSED_STATUSES,
    DEMAND_SEARCH,
    MONEY,
    PIPELINE,
    ZERO,
    BenefitRecord,
    Demand,
    DemandStatus,
    StrategicObjective,
)

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def demand_list(user: AnyUser) -> QuerySet[Demand]:
    """What the user may see, with what every list shows, in one query."""
    return (
        Demand.objects.visible_to(user)
        .select_related("unit", "sponsor", "brm", "override_by")
        .with_benefits()
    )


def ranked(qs: QuerySet[Demand]) -> QuerySet[Demand]:
    """Ranked by score (a window over the filtered set); an override takes its chosen position.

    `score_rank` is the position the score alone gives (unscored demands last); `board_rank`
    is the override where set, else the score rank. At equal positions the overridden demand
    goes first, since a person put it there on purpose.
    """
    qs = qs.annotate(
        score_rank=Window(
            RowNumber(),
            order_by=[F("priority_score").desc(nulls_last=True), F("created_at").asc()],
        )
    )
    return qs.annotate(board_rank=Coalesce("rank_override", "score_rank")).order_by(
        "board_rank",
        Case(When(rank_override__isnull=False, then=0), default=1, output_field=IntegerField()),
        F("priority_score").desc(nulls_last=True),
        "created_at",
    )


def _sql_names() -> dict[str, str]:
    """The quoted table and column names the API's SQL below is written with."""
    demand, record = Demand._meta, BenefitRecord._meta

    def column(meta: object, name: str) -> str:
        return f'"{meta.get_field(name).column}"'  # type: ignore[attr-defined]

    return {
        "demand": f'"{demand.db_table}"',
        "record": f'"{record.db_table}"',
        "id": column(demand, "id"),
        "demand_id": column(record, "demand"),
        "planned": column(record, "planned_amount"),
        "realised": column(record, "realised_amount"),
        "confirmed_at": column(record, "confirmed_at"),
        "score": column(demand, "priority_score"),
        "created_at": column(demand, "created_at"),
        "override": column(demand, "rank_override"),
    }


def _benefit_sum(amount: str, condition: str = "") -> str:
    """`DemandQuerySet.with_benefits`' correlated sum of one amount, as SQL."""
    n = _sql_names()
    return (
        f"COALESCE((SELECT SUM(r.{n[amount]}) FROM {n['record']} r "
        f"WHERE r.{n['demand_id']} = {n['demand']}.{n['id']}{condition}), 0)"
    )


_N = _sql_names()
_PLANNED = _benefit_sum("planned")
_REALISED = _benefit_sum("realised")
_CONFIRMED = _benefit_sum("realised", f" AND r.{_N['confirmed_at']} IS NOT NULL")
# `ranked()`'s board position and its tie-breaker (an override before the score at one place).
_BOARD_RANK = (
    f"COALESCE({_N['demand']}.{_N['override']}, ROW_NUMBER() OVER (ORDER BY "
    f"{_N['demand']}.{_N['score']} DESC NULLS LAST, {_N['demand']}.{_N['created_at']} ASC))"
)
_NOT_OVERRIDDEN = f"{_N['demand']}.{_N['override']} IS NULL"


def demand_rows(user: AnyUser, *, ranked: bool) -> QuerySet[Demand]:
    """The API list's demands (issue 14): what `demand_list` gives the user, without its joins
    (the API sends foreign keys as ids), its benefit sums (`planned_total`, `realised_total`,
    `confirmed_total`, `leakage`) and, when `ranked`, `ranked()`'s order (`board_rank`, then an
    override first, the score, the age) with `board_rank` annotated, `score_rank` not.

    The same SQL as `ranked(demand_list(user))` gives those columns, written once here instead
    of built from expressions: Django compiled the window and five correlated subqueries (the
    leakage repeats two) on every request, 6 of a 50-row list's 16 ms of CPU. The SQL names the
    demand table, so the queryset must stay the outer query (a list, not a subquery)."""
    money = DecimalField(max_digits=16, decimal_places=2)
    qs = Demand.objects.visible_to(user).annotate(
        planned_total=RawSQL(_PLANNED, (), output_field=money),
        realised_total=RawSQL(_REALISED, (), output_field=money),
        confirmed_total=RawSQL(_CONFIRMED, (), output_field=money),
        leakage=RawSQL(f"{_PLANNED} - {_REALISED}", (), output_field=money),
    )
    if not ranked:
        return qs
    return qs.annotate(board_rank=RawSQL(_BOARD_RANK, (), output_field=IntegerField())).order_by(
        "board_rank",
        RawSQL(_NOT_OVERRIDDEN, ()),
        F("priority_score").desc(nulls_last=True),
        "created_at",
    )


def number_board(rows: Iterable[Demand], first: int = 1) -> Iterator[Demand]:
    """Each ranked row's position on the board (`position`: first, first + 1, ...), dense.

    The one rule for the number a person reads: the row's place in `ranked()` order, counted
    from `first` (1 for the whole list or the CSV, the page's start index for a later page). So
    a demand placed at 1 by hand and the demand the score puts first read 1 and 2, never 1 and
    1, and a hand-placed position past the end of the list reads as the last one (no gap from
    17 to 20). `board_rank` stays the sort key; it is not shown.
    """
    for offset, demand in enumerate(rows):
        demand.position = first + offset  # type: ignore[attr-defined]
        yield demand


def kanban(qs: QuerySet[Demand]) -> list[tuple[str, str, list[Demand]]]:
    """Columns of the board in pipeline order, each ranked by score (one query)."""
    columns: dict[str, list[Demand]] = {s.value: [] for s in PIPELINE}
    for demand in qs.exclude(status__in=CLOSED_STATUSES).order_by(
        F("priority_score").desc(nulls_last=True), "created_at"
    ):
        columns[demand.status].append(demand)
    return [(s.value, str(s.label), columns[s.value]) for s in PIPELINE]


@dataclass
class LeakageRow:
    key: object
    label: str
    planned: Decimal
    realised: Decimal
    confirmed: Decimal

    @property
    def leakage(self) -> Decimal:
        return self.planned - self.realised

    @property
    def realised_pct(self) -> int | None:
        return round(self.realised * 100 / self.planned) if self.planned else None


def _leakage(records: QuerySet[BenefitRecord], key: str, label: str) -> list[LeakageRow]:
    rows = (
        records.order_by()
        .values(key, label)
        .annotate(
            planned=Coalesce(Sum("planned_amount"), ZERO),
            realised=Coalesce(Sum("realised_amount"), ZERO),
            confirmed=Coalesce(Sum("realised_amount", filter=Q(confirmed_at__isnull=False)), ZERO),
        )
        .order_by((F("planned") - F("realised")).desc(), label)
    )
    return [
        LeakageRow(r[key], r[label] or "No objective", r["planned"], r["realised"], r["confirmed"])
        for r in rows
    ]


def leakage_by_unit(demands: QuerySet[Demand]) -> list[LeakageRow]:
    """Planned minus realised benefit per business unit (one grouped query)."""
    records = BenefitRecord.objects.filter(demand__in=demands.values("pk"))
    return _leakage(records, "demand__unit_id", "demand__unit__name")


def leakage_by_objective(demands: QuerySet[Demand]) -> list[LeakageRow]:
    """Per objective; a demand serving two objectives counts fully under each (one query)."""
    records = BenefitRecord.objects.filter(demand__in=demands.values("pk"))
    return _leakage(records, "demand__objectives__id", "demand__objectives__name")


@dataclass
class ShareRow:
    objective_id: int | None
    name: str
    demands: int
    investment: Decimal
    benefit: Decimal
    share_pct: Decimal


def portfolio_share(demands: QuerySet[Demand]) -> list[ShareRow]:
    """How much of the portfolio (estimated cost) serves each objective, in the database.

    A demand aligned to n objectives gives each 1/n of its cost and benefit, so the shares add
    up to 100 %; demands with no objective are shown as "Not aligned". Rejected and withdrawn
    demands are not part of the portfolio.
    """
    live = demands.exclude(status__in=CLOSED_STATUSES)
    through = Demand.objectives.through
    n_objectives = (
        through.objects.filter(demand_id=OuterRef("demand_id"))
        .order_by()
        .values("demand_id")
        .annotate(n=Count("pk"))
        .values("n")  # type: ignore[misc]  # `n` is annotated just above; the plugin misses it
    )
    money = DecimalField(**MONEY)
    rows = list(
        through.objects.filter(demand__in=live.values("pk"))
        .annotate(n=Subquery(n_objectives))
        .order_by()
        .values("strategicobjective_id", "strategicobjective__name")
        .annotate(
            demands=Count("demand_id"),
            investment=Sum(
                ExpressionWrapper(
                    Coalesce(F("demand__estimated_cost"), ZERO) / F("n"), output_field=money
                )
            ),
            benefit=Sum(
                ExpressionWrapper(
                    Coalesce(F("demand__expected_benefit"), ZERO) / F("n"), output_field=money
                )
            ),
        )
    )
    unaligned = (
        live.filter(objectives__isnull=True)
        .order_by()
        .aggregate(
            demands=Count("pk"),
            investment=Coalesce(Sum("estimated_cost"), ZERO),
            benefit=Coalesce(Sum("expected_benefit"), ZERO),
        )
    )
    total = sum((r["investment"] or Decimal(0) for r in rows), Decimal(0)) + unaligned["investment"]
    out = [
        ShareRow(
            r["strategicobjective_id"],
            r["strategicobjective__name"],
            r["demands"],
            (r["investment"] or Decimal(0)).quantize(Decimal("0.01")),
            (r["benefit"] or Decimal(0)).quantize(Decimal("0.01")),
            _pct(r["investment"] or Decimal(0), total),
        )
        for r in rows
    ]
    out.sort(key=lambda r: (-r.investment, r.name))
    if unaligned["demands"]:
        out.append(
            ShareRow(
                None,
                "Not aligned to an objective",
                unaligned["demands"],
                unaligned["investment"],
                unaligned["benefit"],
                _pct(unaligned["investment"], total),
            )
        )
    return out


def _pct(part: Decimal, total: Decimal) -> Decimal:
    if not total:
        return Decimal("0.0")
    return (Decimal(part) * 100 / total).quantize(Decimal("0.1"))


def objective_list(user: AnyUser) -> QuerySet[StrategicObjective]:
    return StrategicObjective.objects.visible_to(user).annotate(
        open_demands=Count(
            "demands",
            filter=~Q(demands__status__in=[*CLOSED_STATUSES, DemandStatus.BENEFITS_REALISED]),
        )
    )


__all__ = [
    "demand_list",
    "demand_rows",
    "kanban",
    "leakage_by_objective",
    "leakage_by_unit",
    "objective_list",
    "portfolio_share",
    "ranked",
]


IN_FLIGHT = (DemandStatus.APPROVED, DemandStatus.IN_DELIVERY)


def demand_value(user: AnyUser) -> dict[str, int | Decimal]:
    """For the demands the user may see: how many are approved or in delivery, their planned
    benefit, and the benefits realised so far (one query: the in-flight figures filtered
    aggregates, the realised sum over each visible demand's records as a correlated subquery, so
    no join multiplies the demand rows)."""

    def build() -> tuple[QuerySet[Demand], dict[str, Any]]:
        in_flight = Q(status__in=IN_FLIGHT)
        realised = (
            BenefitRecord.objects.filter(demand=OuterRef("pk"))
            .order_by()
            .values("demand")
            .annotate(total=Sum("realised_amount"))
            .values("total")
        )
        return Demand.objects.visible_to(user), {
            "n": Count("id", filter=in_flight),
            "value": Sum("expected_benefit", filter=in_flight),
            "realised": Sum(Subquery(realised)),
        }

    # The dashboard's tile: compiled once, replayed (brm.core.statements).
    figures = statements.aggregate_for(user, "portfolio.demand_value", build)
    return {
        "in_flight": figures["n"],
        "in_flight_value": figures["value"] or 0,
        "realised_value": figures["realised"] or 0,
    }


# --- Global search (the header's search box; combined by brm.search) ---------------------------


def search_demands(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Demands the user may see (`visible_to`: a leader their unit's) by title, problem or
    outcome (one query)."""
    rows, total = text_search(
        Demand.objects.visible_to(user).select_related("unit"),
        text,
        fields=[("title", "A"), ("problem", "B"), ("outcome", "B")],
        document=DEMAND_SEARCH,
        then=["-created_at", "-pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=d.title,
                url=d.get_absolute_url(),
                summary=d.problem[:160],
                meta=f"{d.unit.name} · {d.get_status_display()}",
                at=d.created_at,
            )
            for d in rows
        ],
        total,
    )
