"""The one priority score of a demand: value for money, weighted by strategic fit, risk and effort.

    score = (benefit / cost) x alignment factor x risk factor x effort factor

    benefit           expected benefit per year (money, >= 0)
    cost              estimated one-off cost (money, > 0). A cost of 0 is refused as input
                      (`check_cost`, the model validator and a CheckConstraint); a 0 stored
                      before that counts as not assessed (no score),
                      never as 1: benefit / 0 has no meaning, and counting it as 1 put a small
                      idea with cost 0 at rank 1 with a score of 1,476.
    alignment factor  1 + alignment_weight x alignment / 5        (alignment 0-5)
    risk factor       1 - risk_weight x (risk - 1) / 4            (risk 1-5)
    effort factor     1 - effort_weight x (effort - 1) / 4        (effort 1-5)

With the default weights (alignment 1, risk 0.5, effort 0.25), a fully aligned demand doubles
its value ratio, the riskiest loses half, the largest a quarter. The score is rounded to 2
decimals (half up). It is `None` while the business case misses any input: an idea is not
ranked until it is assessed, never silently scored as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.core.exceptions import ValidationError

from portfolio.models.demand import COST_ABOVE_ZERO as COST_ABOVE_ZERO  # re-exported
from portfolio.models.demand import validate_estimated_cost


class WeightSettings(Protocol):
    """What the weights are read from (the admin-tuned DemandSettings row)."""

    @property
    def alignment_weight(self) -> Decimal: ...
    @property
    def risk_weight(self) -> Decimal: ...
    @property
    def effort_weight(self) -> Decimal: ...


class BusinessCaseFields(Protocol):
    """The business-case fields a score is computed from (a Demand has them)."""

    @property
    def expected_benefit(self) -> Decimal | None: ...
    @property
    def estimated_cost(self) -> Decimal | None: ...
    @property
    def alignment(self) -> int | None: ...
    @property
    def risk(self) -> int | None: ...
    @property
    def effort(self) -> int | None: ...


TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Weights:
    alignment: Decimal = Decimal("1")
    risk: Decimal = Decimal("0.5")
    effort: Decimal = Decimal("0.25")

    @classmethod
    def from_settings(cls, settings: WeightSettings) -> Weights:
        return cls(
            alignment=Decimal(settings.alignment_weight),
            risk=Decimal(settings.risk_weight),
            effort=Decimal(settings.effort_weight),
        )


@dataclass(frozen=True)
class Term:
    name: str
    value: Decimal
    explanation: str


@dataclass(frozen=True)
class Explanation:
    formula: str
    terms: list[Term]
    score: Decimal | None
    missing: list[str]


FORMULA = "score = (benefit ÷ cost) × alignment factor × risk factor × effort factor"


def _terms(
    benefit: Decimal, cost: Decimal, alignment: int, risk: int, effort: int, weights: Weights
) -> list[Term]:
    divisor = Decimal(cost)
    ratio = Decimal(benefit) / divisor
    align_f = 1 + weights.alignment * Decimal(alignment) / 5
    risk_f = 1 - weights.risk * Decimal(risk - 1) / 4
    effort_f = 1 - weights.effort * Decimal(effort - 1) / 4
    return [
        Term("value ratio", ratio, f"{benefit:,.2f} ÷ {divisor:,.2f}"),
        Term(
            "alignment factor",
            align_f,
            f"1 + {weights.alignment} × {alignment}/5",
        ),
        Term("risk factor", risk_f, f"1 − {weights.risk} × ({risk} − 1)/4"),
        Term("effort factor", effort_f, f"1 − {weights.effort} × ({effort} − 1)/4"),
    ]


def check_cost(cost: Decimal | None) -> None:
    """A business case's cost by the model's one rule (`portfolio.models.demand.
    validate_estimated_cost`): absent (not yet assessed) or more than 0.

    Raises ValueError (message `COST_ABOVE_ZERO`) for 0, and for a negative cost."""
    try:
        validate_estimated_cost(cost)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from exc


def _check(
    benefit: Decimal | None,
    cost: Decimal | None,
    alignment: int | None,
    risk: int | None,
    effort: int | None,
) -> None:
    if benefit is not None and Decimal(benefit) < 0:
        raise ValueError("The expected benefit cannot be negative.")
    if cost is not None and Decimal(cost) < 0:
        raise ValueError("The estimated cost cannot be negative.")
    if alignment is not None and not 0 <= int(alignment) <= 5:
        raise ValueError("Alignment is 0-5.")
    for name, value in (("Risk", risk), ("Effort", effort)):
        if value is not None and not 1 <= int(value) <= 5:
            raise ValueError(f"{name} is 1-5.")


def priority_score(
    benefit: Decimal | None,
    cost: Decimal | None,
    alignment: int | None,
    risk: int | None,
    effort: int | None,
    weights: Weights | None = None,
) -> Decimal | None:
    """The priority score (see the module docstring), or None if an input is missing."""
    _check(benefit, cost, alignment, risk, effort)
    if benefit is None or cost is None or alignment is None or risk is None or effort is None:
        return None
    if Decimal(cost) == 0:
        return None  # not assessed: see the module docstring
    terms = _terms(benefit, cost, alignment, risk, effort, weights or Weights())
    score = Decimal("1")
    for term in terms:
        score *= term.value
    return score.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def explain(
    benefit: Decimal | None,
    cost: Decimal | None,
    alignment: int | None,
    risk: int | None,
    effort: int | None,
    weights: Weights | None = None,
) -> Explanation:
    """The formula, each term with how it was computed, and the score, for display."""
    weights = weights or Weights()
    inputs = {
        "expected benefit": benefit,
        "estimated cost": cost,
        "alignment": alignment,
        "risk": risk,
        "effort": effort,
    }
    missing = [name for name, value in inputs.items() if value is None]
    if cost is not None and Decimal(cost) == 0:
        missing.append("estimated cost above 0")
    if (
        missing
        or benefit is None
        or cost is None
        or alignment is None
        or risk is None
        or effort is None
    ):
        return Explanation(FORMULA, [], None, missing)
    terms = _terms(benefit, cost, alignment, risk, effort, weights)
    return Explanation(
        FORMULA,
        [Term(t.name, t.value.quantize(Decimal("0.0001")), t.explanation) for t in terms],
        priority_score(benefit, cost, alignment, risk, effort, weights),
        [],
    )


def score_demand(demand: BusinessCaseFields, weights: Weights) -> Decimal | None:
    """The score of a Demand instance from its business-case fields."""
    return priority_score(
        demand.expected_benefit,
        demand.estimated_cost,
        demand.alignment,
        demand.risk,
        demand.effort,
        weights,
    )
