"""Who may plan and run service reviews: each rule once, asked by services and pages alike.

`reviews.services` refuses with `ForbiddenAction` (403) when these say no; views, forms,
serializers and templates ask the same functions for what to offer. Reading is `visible_to`
(404 for outsiders) and is checked before any of these. `actor` None is the system (the job that
plans the next review) and may act everywhere.

Today's rule is the register's: the unit's BRM or deputy, administrators and integrations run its
reviews; executives and business leaders read them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import may_change
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from reviews.models import ChangeRequest, ServiceReview
    from stakeholders.models import BusinessUnit


def may_plan_review(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Plan a service review with the unit."""
    return may_edit_unit(actor, unit)


def may_change_review(actor: AnyUser | None, review: ServiceReview) -> bool:
    """Reschedule, record minutes, mark held or cancel the review."""
    return may_change(actor, review)


def may_attach_to_review(actor: AnyUser | None, review: ServiceReview) -> bool:
    """Add a file to the review (its minutes, the performance pack): who may change it."""
    return may_change_review(actor, review)


def may_raise_change(actor: AnyUser | None, review: ServiceReview) -> bool:
    """Record a change request raised at the review."""
    return may_change_review(actor, review)


def may_decide_change(actor: AnyUser | None, change: ChangeRequest) -> bool:
    """Accept, reject or mark implemented a change request."""
    return may_change(actor, change)


def may_add_commitment(actor: AnyUser | None, review: ServiceReview) -> bool:
    """Record a promise made at the review (`make_commitment` applies the unit rule too)."""
    return may_change_review(actor, review)
