"""Who may change the service catalogue and submit demand: each rule once, asked by services and
pages alike.

`portfolio.services` refuses with `ForbiddenAction` (403) when these say no; views, serializers
and templates ask the same functions for what to offer. Who may move a demand, edit its case,
re-rank it or record and confirm benefits stands in `portfolio.services.workflow` next to the
transition table it reads (`may_transition`, `may_approve_demand`, `may_edit_case`, ...).
`actor` None is the system (a job, the demo data) and may act everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import Role, leader_unit_id, role_of, writes_all_units
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit

# Business leaders raise demand for their own unit; BRMs and administrators on a unit's behalf.
SUBMITTING_ROLES = frozenset({Role.LEADER, Role.BRM, Role.ADMIN})
# The portfolio's value view is for IT leadership and relationship managers.
VALUE_READING_ROLES = frozenset({Role.BRM, Role.EXECUTIVE, Role.ADMIN})


def may_edit_catalogue(actor: AnyUser | None) -> bool:
    """Change the service catalogue and push service metrics: administrators and integrations."""
    return actor is None or writes_all_units(actor)


def may_submit_demand(actor: AnyUser | None, unit: BusinessUnit | None = None) -> bool:
    """Submit an idea or need; with `unit`, for that unit.

    Leaders for their own unit, BRMs for the units they manage, administrators for any. Without
    `unit` the answer is whether the role submits at all (to offer the button).
    """
    if actor is None:
        return True
    role = role_of(actor)
    if role not in SUBMITTING_ROLES:
        return False
    if unit is None:
        return True
    if role == Role.LEADER:
        return unit.pk == leader_unit_id(actor)
    return may_edit_unit(actor, unit)


def may_read_portfolio_value(actor: AnyUser) -> bool:
    """See the portfolio's value view (planned and realised benefits across units)."""
    return role_of(actor) in VALUE_READING_ROLES
