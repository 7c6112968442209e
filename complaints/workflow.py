"""The complaint state machine: the one place that says who may move a complaint where.

Views, the API, the admin and jobs all call `transition_complaint`; none of them sets `status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from brm.core import delivery
from brm.core.errors import InputError as InputError  # re-exported for the app's callers
from brm.core.errors import StateConflict
from brm.core.roles import Role, role_of, stored_user
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    EventKind,
    NotificationKind,
    Status,
)

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class Party(StrEnum):
    """How an actor stands towards one complaint (a role is not enough: BRMs own units)."""

    HANDLER = "handler"  # the unit's BRM or deputy, an administrator, an integration
    COMPLAINANT = "complainant"
    OBSERVER = "observer"  # may read and comment: executives, other BRMs, the unit's leaders
    NONE = "none"


# A transition not allowed now or for this actor (409), a bad field value (400): the shared errors.
TransitionError = StateConflict


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    parties: frozenset[Party]
    label: str
    within_reopen_window: bool = False  # only the complainant is bound by the window


H, C = Party.HANDLER, Party.COMPLAINANT
TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.RECEIVED, Status.ACKNOWLEDGED, frozenset({H}), "Acknowledge"),
    Transition(Status.RECEIVED, Status.INVESTIGATING, frozenset({H}), "Start investigating"),
    Transition(Status.ACKNOWLEDGED, Status.INVESTIGATING, frozenset({H}), "Start investigating"),
    Transition(Status.ACKNOWLEDGED, Status.RESOLVED, frozenset({H}), "Resolve"),
    Transition(Status.INVESTIGATING, Status.RESOLVED, frozenset({H}), "Resolve"),
    Transition(Status.RESOLVED, Status.CLOSED, frozenset({H, C}), "Close"),
    Transition(Status.RESOLVED, Status.INVESTIGATING, frozenset({H, C}), "Reopen", True),
    Transition(Status.CLOSED, Status.INVESTIGATING, frozenset({H, C}), "Reopen", True),
    Transition(Status.RECEIVED, Status.WITHDRAWN, frozenset({C}), "Withdraw"),
    Transition(Status.ACKNOWLEDGED, Status.WITHDRAWN, frozenset({C}), "Withdraw"),
    Transition(Status.INVESTIGATING, Status.WITHDRAWN, frozenset({C}), "Withdraw"),
)

MAX_COMMENT = 5000
NOTIFICATION_EMAIL = "complaints.notification"  # its composer: complaints.tasks


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
        return Party.OBSERVER
    return Party.NONE


def allowed_transitions(complaint: Complaint, user: AnyUser) -> list[Transition]:
    """What to offer this actor now: exactly what `transition_complaint` would accept."""
    party = party_of(complaint, user)
    now = timezone.now()
    out = []
    for t in TRANSITIONS:
        if t.source != complaint.status or party not in t.parties:
            continue
        if t.within_reopen_window and party == Party.COMPLAINANT:
            until = complaint.reopen_until()
            if until is None or now > until:
                continue
        out.append(t)
    return out


def can_comment(complaint: Complaint, user: AnyUser) -> bool:
    return party_of(complaint, user) != Party.NONE


def can_rate(complaint: Complaint, user: AnyUser) -> bool:
    return (
        party_of(complaint, user) == Party.COMPLAINANT
        and complaint.status in {Status.RESOLVED, Status.CLOSED}
        and complaint.resolution_rating is None
    )


def clean_comment(comment: str | None, *, required: bool = True) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise InputError("comment", "Add a comment saying why.")
    if len(text) > MAX_COMMENT:
        raise InputError("comment", f"Keep the comment under {MAX_COMMENT} characters.")
    return text


@transaction.atomic
def transition_complaint(
    complaint: Complaint, to: str, *, actor: AnyUser, comment: str
) -> Complaint:
    """Move a complaint to `to`, record it on the timeline and tell the complainant.

    The row is locked first so two people acting at once cannot both move it from the same
    state; the check runs against the locked, current state.
    """
    text = clean_comment(comment)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if to not in Status.values:
        raise InputError("to", f"Unknown status “{to}”.")
    match = [t for t in allowed_transitions(locked, actor) if t.target == to]
    if not match:
        if any(t.source == locked.status and t.target == to for t in TRANSITIONS):
            party = party_of(locked, actor)
            reopen = to == Status.INVESTIGATING and locked.status in {
                Status.RESOLVED,
                Status.CLOSED,
            }
            if reopen and party == Party.COMPLAINANT:
                raise TransitionError("The window for reopening this complaint has passed.")
            raise TransitionError("Your role may not make this change.")
        raise TransitionError(
            f"A complaint that is {locked.get_status_display().lower()} cannot become "
            f"{Status(to).label.lower()}."
        )
    now = timezone.now()
    source = locked.status
    locked.status = to
    if to == Status.ACKNOWLEDGED or (to == Status.INVESTIGATING and not locked.acknowledged_at):
        locked.acknowledged_at = locked.acknowledged_at or now
    if to == Status.RESOLVED:
        locked.resolved_at = now
        locked.resolution = text
    if to == Status.CLOSED:
        locked.closed_at = now
    if to == Status.INVESTIGATING and source in {Status.RESOLVED, Status.CLOSED}:
        # A reopened complaint gets a fresh resolve target; the promise starts again.
        targets = ComplaintSettings.get()
        locked.resolve_by = now + timedelta(hours=targets.resolve_hours(locked.severity))
        locked.resolved_at = None
        locked.closed_at = None
    locked.save()
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=EventKind.TRANSITION,
        actor=stored_user(actor),
        from_status=source,
        to_status=to,
        comment=text,
        created_at=now,
    )
    # The other side hears about it: the complainant, or (when the complainant acted, e.g. a
    # reopen or a withdrawal) the unit's relationship managers. Recipients are chosen at send time.
    notify(locked, NotificationKind.STATUS_CHANGE, event=event)
    sync_instance(complaint, locked)
    return locked


def sync_instance(stale: Complaint, fresh: Complaint) -> None:
    """Give the caller's instance the saved values, so it never shows the old state."""
    for f in Complaint._meta.concrete_fields:
        setattr(stale, f.attname, getattr(fresh, f.attname))


def notify(
    complaint: Complaint,
    kind: str,
    *,
    event: ComplaintEvent | None = None,
    level: int | None = None,
) -> ComplaintNotification:
    """Record the notification and its email in the caller's transaction; the kernel's delivery
    path sends it after commit (and its sweep, if the broker was down), exactly once."""
    note = ComplaintNotification.objects.create(
        complaint=complaint, kind=kind, event=event, level=level
    )
    delivery.enqueue(NOTIFICATION_EMAIL, note.pk)
    return note
