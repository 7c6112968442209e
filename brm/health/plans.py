"""Improvement plans for units in red: proposed from the weakest components, tracked to results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from brm.core.errors import StateConflict
from brm.core.i18n import language_for
from brm.core.roles import require, stored_user
from brm.health.facts import PLAN_REASONS, component_in_sentence
from brm.health.models import (
    HealthSettings,
    ImprovementPlan,
    PlanCommitment,
    PlanStatus,
)
from brm.health.permissions import may_change_plan, may_start_plan
from stakeholders import selectors as register_selectors
from stakeholders.models import ActionItem, BusinessUnit, OwnerSide
from stakeholders.services import CommitmentInput, make_commitment

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from brm.core.roles import AnyUser
    from brm.health.engine import UnitHealth

# What a BRM would do first about each weak component, and how many days to give it. The
# actions become ordinary commitments the BRM owns and edits, so they are written once, in the
# language the unit's BRM chose (`_create_plan`), like an email to them.
ACTIONS: dict[str, list[tuple[_StrPromise, int]]] = {
    "perception": [
        (
            gettext_lazy(
                "Meet the sponsor to hear the business's view and agree the top three priorities"
            ),
            14,
        ),
        (
            gettext_lazy(
                "Share a written status of every open issue with the business, with dates"
            ),
            21,
        ),
    ],
    "delivery": [
        (
            gettext_lazy("Review SLA misses with the service owners and publish a recovery plan"),
            21,
        )
    ],
    "complaints": [
        (
            gettext_lazy("Call each complainant with an open complaint and agree next steps"),
            10,
        )
    ],
    "engagement": [
        (gettext_lazy("Meet the high-influence stakeholders not seen recently"), 14),
        (gettext_lazy("Hold the overdue service review"), 14),
    ],
    "commitments": [
        (gettext_lazy("Close or renegotiate every overdue promise with the business"), 14)
    ],
}


def _english(msg: str, params: dict[str, Any]) -> str:
    """The stored fallback sentence: the message rendered with no language active."""
    with translation.override(None):
        return PLAN_REASONS[msg](params)


def weakest(health: UnitHealth, limit: int = 2) -> list[str]:
    """The components with data that pull the score down most (lowest first)."""
    scored = [(c.value, name) for name, c in health.components.items() if c is not None]
    return [name for _, name in sorted(scored)[:limit]]


def propose_plans(
    healths: Iterable[UnitHealth], *, now: datetime | None = None
) -> list[ImprovementPlan]:
    """Create a plan for each red unit that has no active one. Safe to run twice: the partial
    unique constraint (one active plan per unit) turns a second attempt into a no-op."""
    now = now or timezone.now()
    cfg = HealthSettings.get()
    # Every active plan's unit, in one query that runs whether or not any unit is red (a filter
    # on an empty list of red units would skip the query and make the count depend on the day).
    with_plan = set(
        ImprovementPlan.objects.filter(status=PlanStatus.ACTIVE).values_list("unit_id", flat=True)
    )
    todo = [h for h in healths if h.unit_id not in with_plan]
    # Only when a plan is to be created (a write that happens once per red spell).
    units = register_selectors.units_by_id([h.unit_id for h in todo])
    created = []
    for health in todo:
        unit = units.get(health.unit_id)
        if unit is None:
            continue
        try:
            with transaction.atomic():
                created.append(_create_plan(unit, health, cfg, now))
        except IntegrityError:
            continue  # another run created it first
    return created


def _create_plan(
    unit: BusinessUnit, health: UnitHealth, cfg: HealthSettings, now: datetime
) -> ImprovementPlan:
    weak = weakest(health)
    params = {
        "score": health.score,
        "amber_from": cfg.amber_from,
        "weak": [
            [n, component.value]
            for n in weak
            if (component := health.components[n]) is not None  # weak ones all have a value
        ],
    }
    plan = ImprovementPlan.objects.create(
        unit=unit,
        reason=_english("plan.red", params),
        reason_msg="plan.red",
        reason_params=params,
        score_at_start=health.score,
    )
    today = timezone.localdate(now)
    brm = unit.brm
    language = language_for([brm.email]) if brm is not None else settings.LANGUAGE_CODE
    with translation.override(language):
        for name in weak:
            for title, days in ACTIONS[name]:
                item = make_commitment(
                    unit,
                    CommitmentInput(
                        title=str(title),
                        description=gettext("Improvement plan: %(component)s.")
                        % {"component": component_in_sentence(name)},
                        owner_side=OwnerSide.IT,
                        owner=brm,
                        due_date=today + timedelta(days=days),
                    ),
                    actor=None,
                )
                PlanCommitment.objects.create(plan=plan, commitment=item)
    return plan


@transaction.atomic
def start_plan(unit: BusinessUnit, *, actor: AnyUser, reason: str = "") -> ImprovementPlan:
    """Open a plan by hand (a BRM need not wait for red); returns the active one if it exists.

    Raises `ForbiddenAction` (nothing written) unless `may_start_plan(actor, unit)`.
    """
    require(
        may_start_plan(actor, unit), gettext("Only the unit's relationship managers start a plan.")
    )
    active = ImprovementPlan.objects.filter(unit=unit, status=PlanStatus.ACTIVE).first()
    if active is not None:
        return active
    snapshot = unit.health_snapshots.order_by("-as_of").first()
    try:
        with transaction.atomic():
            return ImprovementPlan.objects.create(
                unit=unit,
                reason=reason[:2000] or _english("plan.started", {}),
                reason_msg="" if reason[:2000] else "plan.started",
                score_at_start=snapshot.score if snapshot else None,
                created_by=stored_user(actor),
            )
    except IntegrityError:  # opened a moment ago by the nightly job or another click
        return ImprovementPlan.objects.get(unit=unit, status=PlanStatus.ACTIVE)


def add_plan_action(
    plan: ImprovementPlan, *, actor: AnyUser, title: str, due_date: date
) -> ActionItem:
    """An action of the plan is an IT promise like any other, owned by whoever adds it.

    Raises `ForbiddenAction` unless `may_change_plan`, `StateConflict` for a closed plan.
    """
    require(
        may_change_plan(actor, plan),
        gettext("Only the unit's relationship managers change its plan."),
    )
    if plan.status != PlanStatus.ACTIVE:
        raise StateConflict(gettext("This improvement plan is closed; start a new one."))
    item = make_commitment(
        plan.unit,
        CommitmentInput(
            title=title, due_date=due_date, owner_side=OwnerSide.IT, owner=stored_user(actor)
        ),
        actor=actor,
    )
    PlanCommitment.objects.create(plan=plan, commitment=item)
    return item


def close_plan(plan: ImprovementPlan, *, actor: AnyUser, completed: bool) -> bool:
    """Mark an active plan completed or abandoned; False if it was already closed.

    Raises `ForbiddenAction` (nothing written) unless `may_change_plan(actor, plan)`.
    """
    require(
        may_change_plan(actor, plan),
        gettext("Only the unit's relationship managers close its plan."),
    )
    status = PlanStatus.COMPLETED if completed else PlanStatus.ABANDONED
    return bool(
        ImprovementPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
            status=status, closed_at=timezone.now()
        )
    )
