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

Each complaint also has one named complaint handler (ISO 10002 "complaint handler",
`Complaint.handler`): the unit's BRM when filed, or whoever in IT it is assigned to
(`HANDLER_ROLES`: a BRM, IT leadership, an administrator). The assigned person works it like the
unit's BRM does; escalation still goes to the unit's BRMs (`complaints.services`). Who may
assign: the unit's BRMs, IT leadership and administrators (`may_assign`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from brm.core.roles import Role, leader_unit_id, role_of, users_with_role
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

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


# Roles whose people may handle a complaint (be its `handler`) and keep a queue: people in IT.
# Integrations are systems, not people; business leaders raise complaints, they do not work them.
HANDLER_ROLES = frozenset({Role.BRM, Role.EXECUTIVE, Role.ADMIN})


def may_be_handler(user: AnyUser) -> bool:
    """Whether `user` may be assigned complaints: an active person with an IT role
    (`HANDLER_ROLES`). `possible_handlers` is the same rule as a set."""
    return role_of(user) in HANDLER_ROLES  # role_of is NONE for inactive or anonymous users


def possible_handlers() -> QuerySet[User]:
    """Everyone a complaint may be assigned to (`may_be_handler` as a set, one query), by name:
    what assignment forms offer."""
    return users_with_role(HANDLER_ROLES).order_by("first_name", "last_name", "username", "pk")


def may_keep_queue(user: AnyUser) -> bool:
    """Whether `user` has a "My queue" of complaints to handle (page, navigation, API filter)."""
    return may_be_handler(user)


def may_assign(actor: AnyUser, complaint: Complaint) -> bool:
    """Assign or reassign the complaint's handler: the unit's BRMs (manager or deputy), IT
    leadership and administrators. Business leaders, other BRMs and integrations may not."""
    role = role_of(actor)
    if role in {Role.ADMIN, Role.EXECUTIVE}:
        return True
    return role == Role.BRM and complaint.is_editable_by(actor)


def party_of(complaint: Complaint, user: AnyUser) -> Party:
    """The actor's standing on this complaint. Visibility is checked before, by the caller.

    The assigned handler (`Complaint.handler`) is a handler whatever their role, while they keep
    an IT role."""
    role = role_of(user)
    if (
        complaint.handler_id is not None
        and complaint.handler_id == user.pk
        and role in HANDLER_ROLES
    ):
        return Party.HANDLER
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


def may_attach_file(actor: AnyUser, complaint: Complaint) -> bool:
    """Add a file (evidence, a screenshot, the fix's report): those who may comment, i.e. the
    complainant and IT (the handlers and IT leadership). Observers read the files only."""
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
