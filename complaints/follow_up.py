"""Follow-up work: link the change, demand or commitment a fix needs, and close the loop.

A complaint links to at most one record of its own unit (`Complaint.follow_up_change`,
`follow_up_demand`, `follow_up_action`), or, for work outside this system, only a free-text
reference. When the linked record reaches a finished state, `close_follow_up_loops` (a beat job)
records the outcome through `complete_follow_up`, which tells the complainant through the outbox.
`complaints.services` re-exports the operations; views, the API and the job use them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.roles import require, stored_user
from complaints.models import (
    Complaint,
    ComplaintEvent,
    EventKind,
    FollowUpKind,
    NotificationKind,
)
from complaints.permissions import may_follow_up
from complaints.workflow import (
    InputError,
    TransitionError,
    clean_comment,
    notify,
    sync_instance,
)
from portfolio.models import Demand, DemandStatus
from reviews.models import CHANGE_TRANSITIONS, ChangeRequest
from stakeholders.models import ActionItem, ActionStatus, OwnerSide
from stakeholders.services import CommitmentInput, make_commitment

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

MAX_OUTCOME = 2000


@dataclass(frozen=True)
class Link:
    """One kind of linkable work: where it lives, how it is named, and when it is finished."""

    kind: FollowUpKind
    field: str  # the foreign key on Complaint
    param: str  # its name in the API and the form
    label: str  # in sentences: "the change 'X' was rejected"
    model: type[models.Model]
    unit_lookup: str  # from the record to its BusinessUnit
    finished: tuple[str, ...]


LINKS: tuple[Link, ...] = (
    Link(
        FollowUpKind.CHANGE,
        "follow_up_change",
        "change_request",
        "change",
        ChangeRequest,
        "review__unit",
        # A change is finished when no further decision can follow (implemented or rejected);
        # "accepted" still has its implementation to come.
        tuple(status for status, then in CHANGE_TRANSITIONS.items() if not then),
    ),
    Link(
        FollowUpKind.DEMAND,
        "follow_up_demand",
        "demand",
        "demand",
        Demand,
        "unit",
        (
            DemandStatus.DELIVERED,
            DemandStatus.BENEFITS_REALISED,
            DemandStatus.REJECTED,
            DemandStatus.WITHDRAWN,
        ),
    ),
    Link(
        FollowUpKind.IMPROVEMENT,
        "follow_up_action",
        "action_item",
        "commitment",
        ActionItem,
        "unit",
        (ActionStatus.DONE, ActionStatus.DROPPED),
    ),
)
LINK_BY_PARAM = {link.param: link for link in LINKS}

# How the outcome reads for the complainant; anything else is "was <status>".
_OUTCOME_VERB: dict[str, str] = {
    DemandStatus.BENEFITS_REALISED: "was delivered and its benefits are realised",
    ActionStatus.DONE: "is done",
}


def link_of(work: models.Model) -> Link:
    for link in LINKS:
        if isinstance(work, link.model):
            return link
    raise TypeError(f"{type(work).__name__} cannot be linked to a complaint.")


# `Link.model` is one of the linkable unit-scoped models (ChangeRequest, Demand, ActionItem):
# their manager's `visible_to`, `get_absolute_url`, `title` and status display are not on the
# `Model` base the link is typed with, hence the attr-defined ignores below.
def linkable(link: Link, complaint: Complaint, user: AnyUser) -> QuerySet[Any]:
    """Records of this kind the user may see in the complaint's unit (open or finished)."""
    return link.model.objects.visible_to(user).filter(  # type: ignore[attr-defined,no-any-return]
        **{link.unit_lookup: complaint.unit_id}
    )


def open_work(link: Link, complaint: Complaint, user: AnyUser) -> QuerySet[Any]:
    """What the follow-up form offers: the unit's work still to be done, newest first."""
    return linkable(link, complaint, user).exclude(status__in=link.finished).order_by("-pk")


def is_finished(work: models.Model) -> bool:
    return getattr(work, "status", None) in link_of(work).finished


def work_url(work: models.Model) -> str:
    if isinstance(work, ChangeRequest):  # changes are shown on their review's page
        return reverse("reviews:review_detail", args=[work.review_id]) + f"#change-{work.pk}"
    return work.get_absolute_url()  # type: ignore[attr-defined,no-any-return]


def visible_work(complaint: Complaint, user: AnyUser) -> models.Model | None:
    """The linked record if this viewer may see it (one query), else None."""
    work = complaint.follow_up_work
    if work is None:
        return None
    link = link_of(work)
    return work if link.model.objects.visible_to(user).filter(pk=work.pk).exists() else None  # type: ignore[attr-defined]


def outcome_of(work: models.Model) -> str:
    """The sentence the complainant receives, from the work's state and its decision."""
    link = link_of(work)
    status = str(getattr(work, "status", ""))
    # `work` is one of the linkable models, all of which have a status field with choices.
    shown = work.get_status_display().lower()  # type: ignore[attr-defined]
    verb = _OUTCOME_VERB.get(status) or f"was {shown}"
    detail = (getattr(work, "decision", "") or getattr(work, "status_reason", "") or "").strip()
    text = f"The {link.label} “{work.title}” {verb}"  # type: ignore[attr-defined]
    text += f": {detail}" if detail else "."
    return text[:MAX_OUTCOME]


# --- Operations -------------------------------------------------------------------------------


def _require_handler(actor: AnyUser, complaint: Complaint, message: str) -> None:
    # `message` is a whole translated sentence, so translators never see a fragment.
    require(may_follow_up(actor, complaint), message)


@transaction.atomic
def link_follow_up(
    complaint: Complaint,
    *,
    actor: AnyUser,
    work: models.Model | None = None,
    kind: str = "",
    reference: str = "",
    comment: str = "",
) -> Complaint:
    """Link the work the fix needs: a record of the complaint's unit, or outside work by reference.

    With `work`, the kind follows from it and `reference` is an optional note. A record of another
    unit, or one the actor may not see, gets the same answer as one that does not exist.
    Raises `ForbiddenAction` (nothing written) unless `may_follow_up(actor, complaint)`.
    """
    _require_handler(
        actor, complaint, gettext("Only the unit's relationship manager links follow-up work.")
    )
    reference = (reference or "").strip()
    if len(reference) > 200:
        raise InputError("follow_up_reference", gettext("Keep the reference under 200 characters."))
    if work is not None:
        link = link_of(work)
        if not linkable(link, complaint, actor).filter(pk=work.pk).exists():
            choose = {
                FollowUpKind.CHANGE: gettext("Choose a change of %(unit)s."),
                FollowUpKind.DEMAND: gettext("Choose a demand of %(unit)s."),
                FollowUpKind.IMPROVEMENT: gettext("Choose a commitment of %(unit)s."),
            }[link.kind]
            raise InputError(link.param, choose % {"unit": complaint.unit})
        kind = link.kind
        said = f"Linked to the {link.label} “{work}”."
    else:
        if kind not in FollowUpKind.values:
            raise InputError(
                "follow_up_kind", gettext("Choose a change, a demand or an improvement.")
            )
        if not reference:
            raise InputError(
                "follow_up_reference", gettext("Give the work's reference (up to 200 chars).")
            )
        said = f"Linked to {FollowUpKind(kind).label.lower()} {reference}."
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    chosen = link_of(work).field if work is not None else None
    locked.follow_up_kind = kind
    for each in LINKS:  # exactly one link, or none for outside work
        setattr(locked, each.field, work if each.field == chosen else None)
    locked.follow_up_reference = reference
    locked.follow_up_done_at = None
    locked.follow_up_outcome = ""
    locked.save()
    ComplaintEvent.objects.create(
        complaint=locked,
        kind=EventKind.FOLLOW_UP,
        actor=stored_user(actor),
        comment=clean_comment(comment, required=False) or said,
    )
    sync_instance(complaint, locked)
    return locked


@transaction.atomic
def create_follow_up_commitment(
    complaint: Complaint, *, actor: AnyUser, title: str, due_date: date | None
) -> Complaint:
    """The quick option: an IT commitment in the complaint's unit, linked as its follow-up.

    Raises `ForbiddenAction` (nothing written) unless `may_follow_up(actor, complaint)`.
    """
    _require_handler(
        actor, complaint, gettext("Only the unit's relationship manager links follow-up work.")
    )
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InputError("title", gettext("Say what IT commits to do (up to 200 characters)."))
    if due_date is None or due_date < timezone.localdate():
        raise InputError("due_date", gettext("Give a due date from today on."))
    item = make_commitment(
        complaint.unit,
        CommitmentInput(
            title=title,
            description=f"Follow-up of complaint {complaint.reference}: {complaint.title}",
            due_date=due_date,
            owner_side=OwnerSide.IT,
        ),
        actor=actor,
    )
    return link_follow_up(complaint, actor=actor, work=item)


@transaction.atomic
def complete_follow_up(
    complaint: Complaint,
    *,
    actor: AnyUser | None,
    outcome: str,
    work: models.Model | None = None,
) -> Complaint:
    """The linked work is done: record the outcome and tell the complainant (closing the loop).

    `actor` None is the system (`close_follow_up_loops`), which passes the `work` it saw finished.
    The conditional UPDATE on `follow_up_done_at IS NULL` (and, for the job, on the link being
    unchanged) claims the outcome, so a second run, a concurrent worker or a BRM recording it by
    hand at the same moment cannot tell the complainant twice. Raises `ForbiddenAction` unless
    `may_follow_up(actor, complaint)`, `StateConflict` when there is no open follow-up to finish.
    """
    if actor is not None:
        _require_handler(
            actor, complaint, gettext("Only the unit's relationship manager records the outcome.")
        )
    text = clean_comment(outcome)
    now = timezone.now()
    claim = Complaint.objects.filter(pk=complaint.pk, follow_up_done_at__isnull=True).exclude(
        follow_up_kind=""
    )
    if work is not None:
        claim = claim.filter(**{link_of(work).field: work})
    if not claim.update(follow_up_done_at=now, follow_up_outcome=text, updated_at=now):
        current = Complaint.objects.get(pk=complaint.pk)
        if not current.follow_up_kind:
            raise TransitionError("No follow-up work is linked to this complaint.")
        if current.follow_up_done_at is not None:
            raise TransitionError("The outcome of the follow-up work is already recorded.")
        raise TransitionError("Other follow-up work has been linked meanwhile.")
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=EventKind.FOLLOW_UP,
        actor=stored_user(actor),
        comment=text,
        created_at=now,
    )
    fresh = Complaint.objects.get(pk=complaint.pk)
    if fresh.complainant_id:
        notify(fresh, NotificationKind.FOLLOW_UP, event=event)
    sync_instance(complaint, fresh)
    return fresh


def close_follow_up_loops() -> int:
    """Record the outcome of every complaint whose linked work has finished; returns how many.

    One query finds the candidates with their linked work; each is then claimed by
    `complete_follow_up`, so running twice (or concurrently) tells each complainant once.
    """
    finished = Q()
    for link in LINKS:
        finished |= Q(**{f"{link.field}__status__in": link.finished})
    candidates = list(
        Complaint.objects.filter(finished, follow_up_done_at__isnull=True)
        .select_related(*(link.field for link in LINKS))
        .order_by("pk")
    )
    closed = 0
    for complaint in candidates:
        work = complaint.follow_up_work
        if work is None:  # pragma: no cover - the filter guarantees a link
            continue
        try:
            complete_follow_up(complaint, actor=None, outcome=outcome_of(work), work=work)
        except TransitionError:
            continue  # recorded by hand or relinked since the query: nothing to send
        closed += 1
    return closed
