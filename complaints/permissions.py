"""Who may do what with complaints and feedback: each rule once, asked by services and pages alike.

`complaints.workflow`, `complaints.services` and `complaints.follow_up` refuse with
`ForbiddenAction` (403) when these say no; views, forms, serializers and templates ask the same
functions for what to offer. What the record's state allows (a complaint already closed, the
reopening window passed, a resolution already rated) is a separate question, answered by the
workflow with `StateConflict` (409). Reading is `visible_to` (404 for outsiders), checked first.

ISO 10002 asks that a complaint be handled by those responsible for the relationship: the unit's
relationship managers (and administrators, integrations) are its handlers; the person who raised
it may close, reopen, withdraw and rate it; IT leadership follows and steers it through comments.
Everyone else who can see it (other BRMs, the unit's other leaders) reads it only: a comment
reaches the complainant, so it comes from someone who answers for the complaint.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from brm.core.roles import Role, leader_unit_id, role_of
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from complaints.models import Complaint
    from stakeholders.models import BusinessUnit


class Party(StrEnum):
    """How an actor stands towards one complaint (a role is not enough: BRMs own units)."""

    HANDLER = "handler"  # the unit's BRM or deputy, an administrator, an integration
    COMPLAINANT = "complainant"
    LEADERSHIP = "leadership"  # IT leadership (the CIO): reads and comments, never works it
    OBSERVER = "observer"  # reads only: other BRMs, the unit's other leaders
    NONE = "none"


# Roles that file complaints: business leaders for their own unit, BRMs and administrators on
# behalf of a unit they may change. Executives act through comments; integrations do not file.
FILING_ROLES = frozenset({Role.LEADER, Role.BRM, Role.ADMIN})


def party_of(complaint: Complaint, user: AnyUser) -> Party:
    """The actor's standing on this complaint. Visibility is checked before, by the caller."""
    role = role_of(user)
    if role in {Role.ADMIN, Role.INTEGRATION}:
        return Party.HANDLER
    if role == Role.BRM:
        return Party.HANDLER if complaint.is_editable_by(user) else Party.OBSERVER
    if role == Role.LEADER:
        return Party.COMPLAINANT if complaint.complainant_id == user.pk else Party.OBSERVER
    if role == Role.EXECUTIVE:
        return Party.LEADERSHIP
    return Party.NONE


def may_file(actor: AnyUser, unit: BusinessUnit | None = None) -> bool:
    """File a complaint; with `unit`, about that unit.

    Leaders file for their own unit only, BRMs for the units they manage, administrators for any.
    Without `unit` the answer is whether the role files at all (to offer the button).
    """
    role = role_of(actor)
    if role not in FILING_ROLES:
        return False
    if unit is None:
        return True
    if role == Role.LEADER:
        return unit.pk == leader_unit_id(actor)
    return may_edit_unit(actor, unit)


def may_handle(actor: AnyUser, complaint: Complaint) -> bool:
    """Work the complaint: acknowledge, investigate, resolve, link and close its follow-up."""
    return party_of(complaint, actor) == Party.HANDLER


def may_acknowledge(actor: AnyUser, complaint: Complaint) -> bool:
    """Acknowledge receipt (the handlers)."""
    return may_handle(actor, complaint)


# Who comments on a complaint: those who answer for it, the person who raised it, IT leadership.
COMMENTING_PARTIES = frozenset({Party.HANDLER, Party.COMPLAINANT, Party.LEADERSHIP})


def may_comment(actor: AnyUser, complaint: Complaint) -> bool:
    """Add a comment: the handlers (the unit's BRM and deputy, administrators, integrations),
    the complainant and IT leadership. Other BRMs and the unit's other leaders read only."""
    return party_of(complaint, actor) in COMMENTING_PARTIES


def may_rate(actor: AnyUser, complaint: Complaint) -> bool:
    """Rate the resolution: only the person who raised the complaint (once resolved, once)."""
    return party_of(complaint, actor) == Party.COMPLAINANT


def may_follow_up(actor: AnyUser, complaint: Complaint) -> bool:
    """Link the work a fix needs, or record its outcome: the handlers."""
    return may_handle(actor, complaint)


def may_leave_feedback(actor: AnyUser, unit: BusinessUnit | None = None) -> bool:
    """Leave a compliment or suggestion; with `unit`, about (and on the timeline of) that unit.

    Anyone with a role may leave feedback that names no unit. Feedback about a unit comes from
    someone who works with it: a business leader for their own unit, a BRM for the units they
    manage or deputise for, administrators and integrations for any; IT leadership for none
    (a compliment from the CIO names no unit). The choices forms offer are
    `BusinessUnit.objects.editable_by(actor)`, the same rule as a set.
    """
    role = role_of(actor)
    if role == Role.NONE:
        return False
    if unit is None:
        return True
    if role == Role.LEADER:
        return unit.pk == leader_unit_id(actor)
    return may_edit_unit(actor, unit)
