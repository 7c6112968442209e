"""The complaint state machine: the one place that says who may move a complaint where.

Views, the API, the admin and jobs all call `transition_complaint`; none of them sets `status`.
A role that may never make a move is refused with `ForbiddenAction` (403, `may_transition`); a
move the complaint's state does not allow now (wrong status, reopening window passed) with
`StateConflict` (409). Who stands where (`Party`, `party_of`) lives in `complaints.permissions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core import delivery
from brm.core.errors import ForbiddenAction, StateConflict
from brm.core.errors import InputError as InputError  # re-exported for the app's callers
from brm.core.events import publish
from brm.core.roles import stored_user
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    EventKind,
    NotificationKind,
    Status,
)
from complaints.permissions import Party, may_comment, may_rate, party_of

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


# A transition the complaint's state does not allow now (409); a role refusal is ForbiddenAction.
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
# Two kinds of complaint email, one composer (complaints.tasks.compose_notification). What the
# complainant receives (receipt, progress, resolution, follow-up) is required by ISO 10002: no
# unsubscribe, preferences not applied. Escalations, assignments to a handler and the
# complainant's news sent to IT staff are internal and follow each person's preferences
# (settings.NOTIFICATION_KINDS).
NOTIFICATION_EMAIL = "complaints.notification"  # to the complainant: required
STAFF_NOTIFICATION_EMAIL = "complaints.staff"  # to IT staff: optional


def news_for_handlers(note: ComplaintNotification) -> bool:
    """True when `note` is a status change or comment by the complainant: news for the unit's
    BRM and deputy. Every other non-escalation notification goes to the complainant."""
    return (
        note.kind == NotificationKind.STATUS_CHANGE
        and note.event is not None
        and note.event.actor_id is not None
        and note.event.actor_id == note.complaint.complainant_id
    )


# Notifications that only ever go to IT staff.
STAFF_KINDS = frozenset({NotificationKind.ESCALATION, NotificationKind.ASSIGNMENT})


def email_kind(note: ComplaintNotification) -> str:
    """The delivery kind of `note`'s email: `STAFF_NOTIFICATION_EMAIL` when it goes to IT staff
    (an escalation, an assignment to the new handler, or `news_for_handlers`), else the required
    `NOTIFICATION_EMAIL` (receipt, progress, resolution and follow-up, to the complainant)."""
    if note.kind in STAFF_KINDS or news_for_handlers(note):
        return STAFF_NOTIFICATION_EMAIL
    return NOTIFICATION_EMAIL


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


def may_transition(actor: AnyUser, complaint: Complaint, to: str) -> bool:
    """Whether the actor's standing lets them move this complaint to `to` at all.

    Judged on the moves from the complaint's current status when there are any (a complainant
    may reopen but not resolve), otherwise on every move into `to` (a leader may never
    acknowledge, whatever the status). Whether the move is possible now is the workflow's
    separate answer: `allowed_transitions`.
    """
    party = party_of(complaint, actor)
    into = [t for t in TRANSITIONS if t.target == to]
    now = [t for t in into if t.source == complaint.status]
    return any(party in t.parties for t in (now or into))


def may_acknowledge(actor: AnyUser, complaint: Complaint) -> bool:
    """Acknowledge receipt: the complaint's handlers (the unit's BRMs, administrators)."""
    return may_transition(actor, complaint, Status.ACKNOWLEDGED)


def can_comment(complaint: Complaint, user: AnyUser) -> bool:
    """What to offer: a comment box (same rule as `permissions.may_comment`)."""
    return may_comment(user, complaint)


def can_rate(complaint: Complaint, user: AnyUser) -> bool:
    """What to offer: the rating form, for the complainant, once resolved and not yet rated."""
    return (
        may_rate(user, complaint)
        and complaint.status in {Status.RESOLVED, Status.CLOSED}
        and complaint.resolution_rating is None
    )


def clean_comment(comment: str | None, *, required: bool = True) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise InputError("comment", gettext("Add a comment saying why."))
    if len(text) > MAX_COMMENT:
        raise InputError(
            "comment",
            gettext("Keep the comment under %(MAX_COMMENT)s characters.")
            % {"MAX_COMMENT": MAX_COMMENT},
        )
    return text


@transaction.atomic
def transition_complaint(
    complaint: Complaint, to: str, *, actor: AnyUser, comment: str
) -> Complaint:
    """Move a complaint to `to`, record it on the timeline and tell the complainant.

    The row is locked first so two people acting at once cannot both move it from the same
    state; the check runs against the locked, current state. Raises `InputError` for an unknown
    status or a missing comment, `ForbiddenAction` when `may_transition` says no (nothing is
    written), `StateConflict` when the current state does not allow the move.
    """
    text = clean_comment(comment)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if to not in Status.values:
        raise InputError("to", gettext("Unknown status “%(to)s”.") % {"to": to})
    if not may_transition(actor, locked, to):
        raise ForbiddenAction(gettext("Your role may not make this change."))
    match = [t for t in allowed_transitions(locked, actor) if t.target == to]
    if not match:
        if any(t.source == locked.status and t.target == to for t in TRANSITIONS):
            # The role may make this move, so what stops it is the reopening window.
            raise TransitionError("The window for reopening this complaint has passed.")
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
        # A reopened complaint starts a new deadline cycle: a fresh resolve target in working
        # time, and escalation starts again from level 1 if that one is missed.
        locked.start_cycle(now, ComplaintSettings.get())
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
    publish("complaint.status_changed", locked, locked.unit_id)
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
    path sends it after commit (and its sweep, if the broker was down), exactly once.

    The notification belongs to the complaint's current deadline cycle: the unique constraint
    on (complaint, cycle, level) is the "each escalation level once per cycle" claim, and the
    email's key is the notification's own (one email per claim), so a new cycle's claims get
    new emails.
    """
    note = ComplaintNotification.objects.create(
        complaint=complaint, kind=kind, event=event, level=level, cycle=complaint.cycle
    )
    delivery.enqueue(email_kind(note), note.pk, key=f"{NOTIFICATION_EMAIL}:{note.pk}")
    return note
