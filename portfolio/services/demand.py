"""Operations that write demands, business cases, rank overrides and benefits.

Shared by the pages, the API and the admin; the attestation job's part is
`portfolio.services.attestation`. Status changes go through
`portfolio.services.workflow.transition_demand`. Every function validates everything before it
writes, inside one transaction, so bad input saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal, overload

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import set_change_reason
from brm.core.roles import Role, leader_unit_id, role_of, stored_user
from brm.core.validators import single_line
from portfolio.models.demand import (
    BenefitAttestation,
    BenefitKind,
    BenefitRecord,
    Demand,
    DemandSettings,
    DemandStatus,
    DemandStatusChange,
    StrategicObjective,
    Urgency,
)
from portfolio.permissions import may_submit_demand
from portfolio.services.attestation import confirmable_records
from portfolio.services.scoring import Weights, check_cost, score_demand
from portfolio.services.workflow import (
    ForbiddenTransition,
    InputError,
    Party,
    TransitionError,
    clean_reason,
    may_attest_benefits,
    may_edit_case,
    may_override_rank,
    may_record_benefits,
    party_of,
)
from stakeholders.models import BusinessUnit, Stakeholder

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

__all__ = [
    "ForbiddenTransition",
    "InputError",
    "TransitionError",
    "confirm_benefits",
    "override_rank",
    "record_benefit",
    "rescore_all",
    "submit_demand",
    "update_business_case",
]


def _text(
    name: str, value: str | None, limit: int, *, required: bool = True, one_line: bool = False
) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InputError(name, gettext("This field is required."))
    if len(text) > limit:
        raise InputError(name, gettext("Keep it under %(limit)s characters.") % {"limit": limit})
    if one_line:
        try:
            single_line(text)
        except ValidationError as exc:
            raise InputError(name, exc.messages[0]) from None
    return text


@overload
def _money(name: str, value: object, *, required: Literal[True]) -> Decimal: ...
@overload
def _money(name: str, value: object, *, required: bool = False) -> Decimal | None: ...
def _money(name: str, value: object, *, required: bool = False) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise InputError(name, gettext("This field is required."))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InputError(name, gettext("Enter an amount, e.g. 12500.00.")) from None
    if not amount.is_finite():
        raise InputError(name, gettext("Enter an amount, e.g. 12500.00."))
    if amount < 0:
        raise InputError(name, gettext("The amount cannot be negative."))
    if amount >= Decimal("1e12"):
        raise InputError(name, gettext("That amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _scale(name: str, value: object, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    choose = gettext("Choose %(low)s-%(high)s.") % {"low": low, "high": high}
    try:
        number = int(value) if isinstance(value, (int, float, Decimal)) else int(str(value))
    except (TypeError, ValueError):
        raise InputError(name, choose) from None
    if not low <= number <= high:
        raise InputError(name, choose)
    return number


# --- Submission -------------------------------------------------------------------------------


@dataclass
class DemandInput:
    title: str
    problem: str
    outcome: str
    urgency: str = Urgency.MEDIUM
    unit: BusinessUnit | None = None  # leaders: always their own unit
    sponsor: Stakeholder | None = None


@transaction.atomic
def submit_demand(data: DemandInput, *, actor: AnyUser) -> Demand:
    """Record an idea or need in business language; it starts as an idea for the unit's BRM.

    A leader submits for their own unit and is the sponsor; a BRM submits for a unit they
    manage on someone's behalf. Raises `ForbiddenAction` (nothing written) unless
    `may_submit_demand(actor, unit)`; a leader naming another unit is told so on the field (400).
    """
    if not may_submit_demand(actor):
        raise ForbiddenTransition("Your role does not submit demands.")
    role = role_of(actor)
    if role == Role.LEADER:
        unit_id = leader_unit_id(actor)
        if unit_id is None:
            raise InputError("unit", gettext("Your login is not linked to a business unit."))
        if data.unit is not None and data.unit.pk != unit_id:
            raise InputError("unit", gettext("You submit ideas for your own unit only."))
        unit = BusinessUnit.objects.get(pk=unit_id)
        sponsor = Stakeholder.objects.filter(user=stored_user(actor), active=True).first()
    elif role in {Role.BRM, Role.ADMIN}:
        if data.unit is None:
            raise InputError("unit", gettext("Choose the business unit."))
        if not may_submit_demand(actor, data.unit):
            raise ForbiddenTransition("You may submit demands only for units you manage.")
        unit, sponsor = data.unit, data.sponsor
        if sponsor is not None and sponsor.unit_id != unit.pk:
            raise InputError("sponsor", gettext("The sponsor must belong to the demand's unit."))
    if data.urgency not in Urgency.values:
        raise InputError("urgency", gettext("Choose how urgent it is."))
    demand = Demand.objects.create(
        unit=unit,
        sponsor=sponsor,
        brm=unit.brm,
        submitted_by=stored_user(actor),
        title=_text("title", data.title, 200, one_line=True),
        problem=_text("problem", data.problem, 5000),
        outcome=_text("outcome", data.outcome, 5000),
        urgency=data.urgency,
    )
    DemandStatusChange.objects.create(
        demand=demand, to_status=DemandStatus.IDEA, actor=stored_user(actor), reason="Submitted."
    )
    return demand


# --- The business case ------------------------------------------------------------------------


@dataclass
class BusinessCase:
    benefit_kind: str = ""
    expected_benefit: object = None
    estimated_cost: object = None
    alignment: object = None
    risk: object = None
    effort: object = None
    objective_ids: list[int] | None = None
    sponsor: Stakeholder | None = None
    extra: dict[str, str] = field(default_factory=dict)  # title/problem/outcome edits


@transaction.atomic
def update_business_case(demand: Demand, case: BusinessCase, *, actor: AnyUser) -> Demand:
    """The BRM fills in the business case; the priority score is recomputed from it.

    Every field is validated before anything is written: a negative cost or an unknown
    objective leaves the demand exactly as it was.
    """
    locked = Demand.objects.select_for_update().get(pk=demand.pk)
    if not may_edit_case(locked, actor):
        if party_of(locked, actor) == Party.HANDLER:
            raise TransitionError("The business case is fixed once delivery has started.")
        raise ForbiddenTransition("Only the unit's relationship manager edits the business case.")
    if case.benefit_kind and case.benefit_kind not in BenefitKind.values:
        raise InputError("benefit_kind", gettext("Choose the kind of benefit."))
    benefit = _money("expected_benefit", case.expected_benefit)
    cost = _money("estimated_cost", case.estimated_cost)
    try:
        check_cost(cost)
    except ValueError as exc:
        raise InputError("estimated_cost", str(exc)) from None
    alignment = _scale("alignment", case.alignment, 0, 5)
    risk = _scale("risk", case.risk, 1, 5)
    effort = _scale("effort", case.effort, 1, 5)
    objectives = None
    if case.objective_ids is not None:
        ids = {int(i) for i in case.objective_ids}
        objectives = list(StrategicObjective.objects.filter(pk__in=ids, active=True))
        if len(objectives) != len(ids):
            raise InputError("objectives", gettext("Unknown or inactive strategic objective."))
    if case.sponsor is not None and case.sponsor.unit_id != locked.unit_id:
        raise InputError("sponsor", gettext("The sponsor must belong to the demand's unit."))
    for name, limit in (("title", 200), ("problem", 5000), ("outcome", 5000)):
        if name in case.extra:
            setattr(locked, name, _text(name, case.extra[name], limit, one_line=name == "title"))
    locked.benefit_kind = case.benefit_kind or ""
    locked.expected_benefit = benefit
    locked.estimated_cost = cost
    locked.alignment = alignment
    locked.risk = risk
    locked.effort = effort
    if case.sponsor is not None:
        locked.sponsor = case.sponsor
    locked.priority_score = score_demand(locked, Weights.from_settings(DemandSettings.get()))
    set_change_reason(locked, "Business case updated")
    locked.save()
    if objectives is not None:
        locked.objectives.set(objectives)
    for f in Demand._meta.concrete_fields:
        setattr(demand, f.attname, getattr(locked, f.attname))
    return locked


def rescore_all() -> int:
    """Recompute every stored score (after an administrator changes the weights)."""
    weights = Weights.from_settings(DemandSettings.get())
    changed = []
    for demand in Demand.objects.only(
        "pk", "expected_benefit", "estimated_cost", "alignment", "risk", "effort", "priority_score"
    ):
        score = score_demand(demand, weights)
        if score != demand.priority_score:
            demand.priority_score = score
            changed.append(demand)
    Demand.objects.bulk_update(changed, ["priority_score"], batch_size=500)
    return len(changed)


# --- Ranking ----------------------------------------------------------------------------------


@transaction.atomic
def override_rank(demand: Demand, rank: object, *, actor: AnyUser, reason: str) -> Demand:
    """Put a demand at a chosen position on the ranked board, or (rank None) back to its score.

    Always with a reason; who, when and why are stored on the demand and in its history.
    """
    locked = Demand.objects.select_for_update().get(pk=demand.pk)
    if not may_override_rank(locked, actor):
        raise ForbiddenTransition("Only the portfolio board (IT leadership) reorders demand.")
    text = clean_reason(reason, required=True)
    position = None
    if rank not in (None, ""):
        try:
            position = int(rank) if isinstance(rank, (int, float, Decimal)) else int(str(rank))
        except (TypeError, ValueError):
            raise InputError("rank", gettext("Give a position, 1 for the top.")) from None
        if not 1 <= position <= 10000:
            raise InputError("rank", gettext("Give a position, 1 for the top."))
    locked.rank_override = position
    locked.override_reason = text
    locked.override_by = stored_user(actor)
    locked.override_at = timezone.now()
    set_change_reason(
        locked, f"Rank set to {position}: {text}" if position else f"Rank back to score: {text}"
    )
    locked.save()
    for f in Demand._meta.concrete_fields:
        setattr(demand, f.attname, getattr(locked, f.attname))
    return locked


# --- Benefits ---------------------------------------------------------------------------------


@transaction.atomic
def record_benefit(
    demand: Demand,
    *,
    actor: AnyUser,
    period_start: date,
    period_end: date,
    planned: object,
    realised: object,
    note: str = "",
) -> BenefitRecord:
    """IT records planned and realised benefit for a period (one row per period, updated).

    A changed realised figure loses its business confirmation: the sponsor confirmed another
    number.
    """
    if not may_record_benefits(demand, actor):
        if party_of(demand, actor) == Party.HANDLER:
            raise TransitionError("Benefits are recorded once the demand is delivered.")
        raise ForbiddenTransition("Only the unit's relationship manager records benefits.")
    if not period_start or not period_end or period_end <= period_start:
        raise InputError("period_end", gettext("The period must end after it starts."))
    planned_amount = _money("planned_amount", planned, required=True)
    realised_amount = _money("realised_amount", realised, required=True)
    text = _text("note", note, 2000, required=False)
    record = (
        BenefitRecord.objects.select_for_update()
        .filter(demand=demand, period_start=period_start)
        .first()
    )
    if record is None:
        record = BenefitRecord(demand=demand, period_start=period_start)
    elif record.realised_amount != realised_amount:
        record.confirmed_by = None
        record.confirmed_at = None
    record.period_end = period_end
    record.planned_amount = planned_amount
    record.realised_amount = realised_amount
    record.note = text
    record.recorded_by = stored_user(actor)
    record.save()
    return record


@transaction.atomic
def confirm_benefits(demand: Demand, record_ids: list[int], *, actor: AnyUser) -> int:
    """The sponsor (a leader of the unit) confirms realised figures: business attestation.

    Raises `ForbiddenAction` (403) for anyone but a leader of the unit, `StateConflict` (409)
    before the demand is delivered.
    """
    if not may_attest_benefits(demand, actor):
        raise ForbiddenTransition("Only a business leader of the unit confirms realised benefits.")
    records = confirmable_records(demand, record_ids)
    now = timezone.now()
    done = records.filter(confirmed_at__isnull=True).update(
        confirmed_by=actor, confirmed_at=now, updated_at=now
    )
    BenefitAttestation.objects.filter(demand=demand, answered_at__isnull=True).update(
        answered_at=now
    )
    return done
