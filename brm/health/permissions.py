"""Who may act on relationship health: each rule once, asked by services and pages alike.

`brm.health.plans`, `brm.health.maturity` and `brm.health.services` refuse with
`ForbiddenAction` (403) when these say no; views and templates ask the same functions for what
to offer. `actor` None is the system (the nightly job proposing plans) and may act everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import Role, leader_unit_id, may_change, role_of
from brm.health.models import Side
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from brm.health.models import ImprovementPlan
    from stakeholders.models import BusinessUnit


def may_start_plan(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Open an improvement plan for the unit: those who change its relationship records."""
    return may_edit_unit(actor, unit)


def may_change_plan(actor: AnyUser | None, plan: ImprovementPlan) -> bool:
    """Add actions to a plan, or close it as completed or abandoned."""
    return may_change(actor, plan)


def rating_side(user: AnyUser, unit: BusinessUnit) -> str | None:
    """The side the user rates the relationship for, or None.

    The BRM (or deputy) rates for IT; the unit's business leaders rate for the business.
    """
    if role_of(user) == Role.LEADER and leader_unit_id(user) == unit.pk:
        return Side.BUSINESS
    if user.pk in (unit.brm_id, unit.deputy_id):
        return Side.IT
    return None


def may_rate_maturity(actor: AnyUser, unit: BusinessUnit) -> bool:
    """Rate the relationship's maturity: only someone with a side to speak for."""
    return rating_side(actor, unit) is not None


# Who recomputes every unit's health at once (the dashboard's button): those who read the whole
# dashboard and answer for it, IT leadership and administrators. A recompute of the whole estate
# is heavy (README: 30 s to minutes); integrations pull health, they do not drive it.
RECOMPUTE_ALL_ROLES = frozenset({Role.EXECUTIVE, Role.ADMIN})


def may_recompute(actor: AnyUser | None, unit: BusinessUnit | None = None) -> bool:
    """Ask for health to be recomputed now: without `unit`, every unit's (IT leadership and
    administrators); with `unit`, that unit's alone (also its BRM and deputy)."""
    if actor is None or role_of(actor) in RECOMPUTE_ALL_ROLES:
        return True
    return unit is not None and role_of(actor) == Role.BRM and may_edit_unit(actor, unit)
