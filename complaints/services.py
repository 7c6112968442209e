"""Operations that write complaints and feedback, shared by views, API, admin and jobs.

Status changes go through `complaints.workflow.transition_complaint`; everything here that
notifies someone writes an outbox row in the same transaction and queues it after commit.
Follow-up work (linking it, closing the loop) lives in `complaints.follow_up`, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import set_change_reason
from brm.core.errors import ForbiddenAction, StaleVersion
from brm.core.events import publish
from brm.core.roles import GROUP_NAMES, Role, leader_unit_id, require, role_of, stored_user
from complaints.follow_up import (
    close_follow_up_loops,
    complete_follow_up,
    create_follow_up_commitment,
    link_follow_up,
)
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSettings,
    EventKind,
    Feedback,
    NotificationKind,
    Status,
)
from complaints.permissions import (
    may_assign,
    may_be_handler,
    may_comment,
    may_file,
    may_leave_feedback,
    may_rate,
)
from complaints.workflow import (
    InputError,
    TransitionError,
    can_rate,
    clean_comment,
    notify,
    sync_instance,
)
from portfolio.services.catalogue import check_consumed
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from brm.core.roles import AnyUser
    from portfolio.models import Service

__all__ = [
    "ForbiddenAction",
    "InputError",
    "TransitionError",
    "add_comment",
    "assign_complaint",
    "check_deadlines",
    "close_follow_up_loops",
    "complete_follow_up",
    "create_follow_up_commitment",
    "file_complaint",
    "leave_feedback",
    "link_follow_up",
    "rate_resolution",
]


@dataclass
class ComplaintInput:
    unit: BusinessUnit
    title: str
    description: str
    severity: str
    service: Service | None = None
    remedy_requested: str = ""


@transaction.atomic
def file_complaint(data: ComplaintInput, *, actor: AnyUser) -> Complaint:
    """Record a complaint with its deadlines and first timeline entry, and acknowledge it.

    Its handler is the unit's relationship manager (when they may handle complaints), until
    someone assigns it to another person in IT (`assign_complaint`). The reference comes from
    the primary key after the insert, so it is unique without counting rows. The acknowledgement
    email is an outbox row: if the broker is down, the complaint is saved anyway and the sweep
    sends it later. Raises `ForbiddenAction` (nothing written) unless
    `may_file(actor, data.unit)`, `InputError` for a missing title or description or a service
    the unit does not consume (`check_consumed`, on "service").
    """
    require(
        may_file(actor, data.unit),
        gettext("Your role does not file complaints for this business unit."),
    )
    check_consumed(data.unit, [data.service], field="service")
    if not data.title.strip():
        raise InputError("title", gettext("Give the complaint a short title."))
    if not data.description.strip():
        raise InputError("description", gettext("Say what happened."))
    now = timezone.now()
    brm = data.unit.brm
    complaint = Complaint(
        unit=data.unit,
        service=data.service,
        complainant=stored_user(actor),
        handler=brm if brm is not None and may_be_handler(brm) else None,
        title=data.title.strip(),
        description=data.description.strip(),
        remedy_requested=data.remedy_requested.strip(),
        severity=data.severity,
    )
    complaint.set_deadlines(now, ComplaintSettings.get())
    complaint.full_clean(exclude=["reference", "acknowledge_by", "resolve_by"])
    complaint.save()
    complaint.reference = Complaint.make_reference(complaint.pk, now)
    Complaint.objects.filter(pk=complaint.pk).update(reference=complaint.reference)
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=EventKind.FILED,
        actor=stored_user(actor),
        to_status=Status.RECEIVED,
        comment=complaint.description[:500],
        created_at=now,
    )
    notify(complaint, NotificationKind.ACKNOWLEDGEMENT)
    publish("complaint.filed", complaint, complaint.unit_id)
    return complaint


@transaction.atomic
def add_comment(complaint: Complaint, *, actor: AnyUser, comment: str) -> ComplaintEvent:
    """A comment on the timeline; the complainant is told when someone else comments.

    Raises `ForbiddenAction` unless `may_comment`, `InputError` for an empty or long comment.
    """
    require(may_comment(actor, complaint), gettext("Your role may not comment on this complaint."))
    text = clean_comment(comment)
    event = ComplaintEvent.objects.create(
        complaint=complaint, kind=EventKind.COMMENT, actor=stored_user(actor), comment=text
    )
    notify(complaint, NotificationKind.STATUS_CHANGE, event=event)
    return event


@transaction.atomic
def rate_resolution(
    complaint: Complaint, rating: object, *, actor: AnyUser, comment: str = ""
) -> Complaint:
    """The complainant rates the resolution 1-5, once. Kept for relationship health.

    Raises `ForbiddenAction` unless `may_rate` (only the complainant), `StateConflict` before the
    resolution or after a first rating, `InputError` for a rating outside 1-5.
    """
    require(
        may_rate(actor, complaint),
        gettext("Only the person who raised the complaint rates its resolution."),
    )
    try:
        value = int(rating) if isinstance(rating, (int, float)) else int(str(rating))
    except (TypeError, ValueError):
        raise InputError("rating", gettext("Choose a rating from 1 to 5.")) from None
    if not 1 <= value <= 5:
        raise InputError("rating", gettext("Choose a rating from 1 to 5."))
    text = clean_comment(comment, required=False)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not can_rate(locked, actor):
        if locked.resolution_rating is not None:
            raise TransitionError("This resolution has already been rated.")
        raise TransitionError("A complaint is rated once it is resolved.")
    now = timezone.now()
    locked.resolution_rating = value
    locked.rated_at = now
    locked.save(update_fields=["resolution_rating", "rated_at", "updated_at"])
    ComplaintEvent.objects.create(
        complaint=locked,
        kind=EventKind.RATING,
        actor=stored_user(actor),
        level=value,
        comment=text,
        created_at=now,
    )
    sync_instance(complaint, locked)
    return locked


# --- Handlers -----------------------------------------------------------------------------------

MAX_REASON = 5000  # characters of a reassignment's reason, like a comment


@transaction.atomic
def assign_complaint(
    complaint: Complaint,
    handler: User,
    *,
    actor: AnyUser,
    reason: str = "",
    expected_version: int | None = None,
) -> Complaint:
    """Make `handler` the complaint's handler (ISO 10002 complaint handler) and tell them.

    The row is locked first, so two people assigning at once take turns and the second sees
    the first's choice. An assignment is a timeline entry (kind "assignment": who assigned whom,
    and why) and a change in the complaint's history; the new handler is emailed (the optional
    staff kind, so their preferences apply) unless they assigned it to themselves. Escalations
    still go to the unit's relationship managers. Assigning the current handler again changes
    nothing and sends nothing (a retried request is harmless).

    Raises `ForbiddenAction` (403, nothing written) unless `may_assign(actor, complaint)`;
    `InputError` (400) on "handler" when `handler` has no IT role (`may_be_handler`), on
    "reason" when a reassignment (the complaint has a handler already) gives no reason or a
    reason over 5000 characters; `StaleVersion` (412) when `expected_version` is given and the
    complaint is at another version; `StateConflict` (409) when it is no longer open.
    """
    require(may_assign(actor, complaint), gettext("Your role may not assign this complaint."))
    if not may_be_handler(handler):
        raise InputError(
            "handler",
            gettext(
                "Assign complaints to someone in IT: a relationship manager, IT leadership or an "
                "administrator."
            ),
        )
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise InputError(
            "reason",
            gettext("Keep the reason under %(MAX_REASON)s characters.")
            % {"MAX_REASON": MAX_REASON},
        )
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            str(Complaint._meta.verbose_name), locked.pk, expected_version, locked.version
        )
    if locked.handler_id == handler.pk:
        sync_instance(complaint, locked)
        return locked
    if not locked.is_open:
        raise TransitionError(
            f"A complaint that is {locked.get_status_display().lower()} is not assigned; "
            "reopen it first."
        )
    if locked.handler_id is not None and not text:
        raise InputError("reason", gettext("Say why you are reassigning it."))
    now = timezone.now()
    previous = locked.handler_id
    locked.handler = handler
    # The reason itself is on the timeline, where erasure and retention reach it.
    set_change_reason(locked, "Reassigned" if previous is not None else "Assigned")
    locked.save(update_fields=["handler", "updated_at"])
    event = ComplaintEvent.objects.create(
        complaint=locked,
        kind=EventKind.ASSIGNMENT,
        actor=stored_user(actor),
        handler=handler,
        comment=text,
        created_at=now,
    )
    if handler.pk != getattr(actor, "pk", None):
        notify(locked, NotificationKind.ASSIGNMENT, event=event)
    sync_instance(complaint, locked)
    return locked


def handler_recipients(complaint: Complaint) -> list[str]:
    """Who hears the complainant's news (a comment, a reopening, a withdrawal): the unit's BRM
    and deputy (as escalation level 1) and the complaint's handler."""
    people = [complaint.unit.brm, complaint.unit.deputy, complaint.handler]
    return sorted({u.email for u in people if u is not None and u.email and u.is_active})


# --- Escalation -------------------------------------------------------------------------------


def wanted_level(complaint: Complaint, now: datetime, targets: ComplaintSettings) -> int:
    """The escalation level the current deadline cycle has earned by `now`: 0 if on time; 1
    once a deadline is breached; 2 and 3 once the configured delays have passed after the
    breach, counted like the targets (the severity's working time, `ComplaintSettings.deadline`),
    so a working-hours complaint never climbs a level at night or over a weekend."""
    breaches = complaint.breached_deadlines(now)
    if not breaches:
        return 0
    breached = min(breaches)
    severity = complaint.severity
    if targets.deadline(breached, targets.level3_after_hours, severity) <= now:
        return 3
    if targets.deadline(breached, targets.level2_after_hours, severity) <= now:
        return 2
    return 1


def check_deadlines(now: datetime | None = None) -> int:
    """Escalate every open complaint whose deadline is breached; returns the levels raised.

    Deadlines are in working time (`Complaint.set_deadlines`), so a working-hours complaint is
    breached, and escalated, only during working hours. Each level is claimed by inserting its
    notification row, which a unique constraint allows once per complaint and deadline cycle; a
    second run (or a concurrent one) finds the level taken and does nothing. A reopened
    complaint is a new cycle and escalates again from level 1.
    """
    now = now or timezone.now()
    targets = ComplaintSettings.get()
    candidates = list(
        Complaint.objects.overdue(now).filter(escalation_level__lt=3).values_list("pk", flat=True)
    )
    raised = 0
    for pk in candidates:
        raised += _escalate(pk, now, targets)
    return raised


@transaction.atomic
def _escalate(pk: int, now: datetime, targets: ComplaintSettings) -> int:
    complaint = Complaint.objects.select_for_update().get(pk=pk)
    level = wanted_level(complaint, now, targets)
    raised = 0
    for step in range(complaint.escalation_level + 1, level + 1):
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this level
                event = ComplaintEvent.objects.create(
                    complaint=complaint,
                    kind=EventKind.ESCALATION,
                    level=step,
                    cycle=complaint.cycle,
                    comment=_escalation_reason(complaint, step, now),
                    created_at=now,
                )
                notify(complaint, NotificationKind.ESCALATION, event=event, level=step)
        except IntegrityError:
            continue
        raised += 1
    if level > complaint.escalation_level:
        complaint.escalation_level = level
        complaint.save(update_fields=["escalation_level", "updated_at"])
    if raised:
        # Once per level reached: the key names the deadline cycle and the level.
        key = f"complaint.escalated:{complaint.pk}:{complaint.cycle}:{complaint.escalation_level}"
        publish("complaint.escalated", complaint, complaint.unit_id, key=key)
    return raised


ESCALATION_TO = {1: "the unit's relationship managers", 2: "the head of BRM", 3: "the executive"}


def _escalation_reason(complaint: Complaint, level: int, now: datetime) -> str:
    which = "acknowledged" if complaint.ack_breached(now) else "resolved"
    again = f" after reopening (cycle {complaint.cycle})" if complaint.cycle > 1 else ""
    return f"Not {which} in time{again}; escalated to {ESCALATION_TO[level]} (level {level})."


def escalation_recipients(complaint: Complaint, level: int) -> list[str]:
    """Who hears about a level: 1 the unit's BRM and deputy, 2 the head of BRM, 3 executives."""
    User = get_user_model()
    if level == 1:
        users = [u for u in (complaint.unit.brm, complaint.unit.deputy) if u is not None]
    elif level == 2:
        head = ComplaintSettings.get().head_of_brm
        users = (
            [head]
            if head is not None
            else list(User.objects.filter(groups__name="Head of BRM", is_active=True))
        )
    else:
        users = list(
            User.objects.filter(
                Q(groups__name=GROUP_NAMES[Role.EXECUTIVE]), is_active=True
            ).distinct()
        )
    return sorted({u.email for u in users if u.email and u.is_active})


# --- Feedback ---------------------------------------------------------------------------------


def leave_feedback(
    *,
    actor: AnyUser,
    kind: str,
    message: str,
    about_person: User | None = None,
    about_team: str = "",
    unit: BusinessUnit | None = None,
) -> Feedback:
    """Record a compliment or a suggestion. Leaders' feedback belongs to their own unit.

    A leader's feedback without a unit is filed under their own. Raises `ForbiddenAction`
    (nothing written) unless `may_leave_feedback(actor)` (the role), `InputError` ("unit", 400)
    for a unit the author does not work with (`may_leave_feedback(actor, unit)`), and for a
    bad message.
    """
    if unit is None and role_of(actor) == Role.LEADER and (own := leader_unit_id(actor)):
        unit = BusinessUnit.objects.filter(pk=own).first()
    require(may_leave_feedback(actor), gettext("Your role may not leave feedback."))
    if unit is not None and not may_leave_feedback(actor, unit):
        raise InputError(
            "unit",
            gettext(
                "Feedback about %(name)s comes from its own people or its relationship managers."
            )
            % {"name": unit.name},
        )
    text = (message or "").strip()
    if not text:
        raise InputError("message", gettext("Write a few words."))
    if len(text) > 2000:
        raise InputError("message", gettext("Keep it under 2000 characters."))
    if about_person is None and not (about_team or "").strip():
        raise InputError("about_team", gettext("Say which team or person in IT it is for."))
    feedback = Feedback(
        kind=kind,
        author=stored_user(actor),
        message=text,
        about_person=about_person,
        about_team=(about_team or "").strip(),
        unit=unit,
    )
    feedback.full_clean()
    feedback.save()
    return feedback
