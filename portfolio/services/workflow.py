"""The demand state machine: the one place that says who may move a demand where.

    idea -> assessing -> approved -> in_delivery -> delivered -> benefits_realised
    (rejected or withdrawn, with a reason, from any stage before delivery)

Views, the API, the admin and jobs all call `transition_demand`; none of them sets `status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import set_change_reason
from brm.core.errors import ForbiddenAction, StateConflict
from brm.core.errors import InputError as InputError  # re-exported for the app's callers
from brm.core.events import publish
from brm.core.roles import Role, leader_unit_id, role_of, stored_user
from portfolio.models.demand import Demand, DemandStatus, DemandStatusChange

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class Party(StrEnum):
    """How an actor stands towards one demand (a role is not enough: BRMs own units)."""

    HANDLER = "handler"  # the unit's BRM or deputy, an administrator: proposes, edits the case
    EXECUTIVE = "executive"  # IT leadership, the portfolio board: decides, reorders; no case edits
    SPONSOR = "sponsor"  # a business leader of the demand's unit
    OBSERVER = "observer"  # other BRMs, integrations: read only
    NONE = "none"


# Not allowed now (409), never for this role (403), a bad field value (400): the shared errors.
TransitionError = StateConflict
ForbiddenTransition = ForbiddenAction


@dataclass(frozen=True)
class Transition:
    """One move of the state machine. `board`: a portfolio decision, taken by the portfolio board
    (`on_portfolio_board`: IT leadership and administrators) whatever `parties` says; the unit's
    BRM proposes (idea -> assessing, the business case) but never approves their own demand."""

    source: DemandStatus
    target: DemandStatus
    parties: frozenset[Party]
    label: str
    reason_required: bool = False
    needs_case: bool = False
    board: bool = False


S = DemandStatus
H, E, SP = Party.HANDLER, Party.EXECUTIVE, Party.SPONSOR
_REJECT = frozenset({H, E})
_WITHDRAW = frozenset({H, SP})
_BOARD = frozenset({E})  # with `board=True`: administrators too (`on_portfolio_board`)
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.IDEA, S.ASSESSING, frozenset({H}), "Start assessing"),
    Transition(S.ASSESSING, S.APPROVED, _BOARD, "Approve", needs_case=True, board=True),
    Transition(S.APPROVED, S.IN_DELIVERY, frozenset({H}), "Start delivery"),
    Transition(S.IN_DELIVERY, S.DELIVERED, frozenset({H}), "Mark delivered"),
    Transition(S.DELIVERED, S.BENEFITS_REALISED, frozenset({H}), "Benefits realised"),
    Transition(S.IDEA, S.REJECTED, _REJECT, "Reject", reason_required=True),
    Transition(S.ASSESSING, S.REJECTED, _REJECT, "Reject", reason_required=True),
    Transition(S.APPROVED, S.REJECTED, _BOARD, "Cancel", reason_required=True, board=True),
    Transition(S.IDEA, S.WITHDRAWN, _WITHDRAW, "Withdraw", reason_required=True),
    Transition(S.ASSESSING, S.WITHDRAWN, _WITHDRAW, "Withdraw", reason_required=True),
    Transition(S.APPROVED, S.WITHDRAWN, _WITHDRAW, "Withdraw", reason_required=True),
    Transition(S.IN_DELIVERY, S.WITHDRAWN, frozenset({H}), "Stop delivery", reason_required=True),
)

MAX_REASON = 2000


def party_of(demand: Demand, user: AnyUser) -> Party:
    """The actor's standing on this demand. Visibility is checked before, by the caller."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Party.HANDLER
    if role == Role.BRM:
        return Party.HANDLER if demand.is_editable_by(user) else Party.OBSERVER
    if role == Role.EXECUTIVE:
        return Party.EXECUTIVE
    if role == Role.LEADER:
        return Party.SPONSOR if leader_unit_id(user) == demand.unit_id else Party.NONE
    if role == Role.INTEGRATION:
        return Party.OBSERVER
    return Party.NONE


# The portfolio board: who approves, cancels and re-ranks demand across every unit.
PORTFOLIO_BOARD = frozenset({Role.EXECUTIVE, Role.ADMIN})


def on_portfolio_board(actor: AnyUser) -> bool:
    """IT leadership and administrators decide the portfolio (approve, cancel an approval,
    re-rank); relationship managers propose and business leaders sponsor."""
    return role_of(actor) in PORTFOLIO_BOARD


def _takes(step: Transition, party: Party, actor: AnyUser) -> bool:
    if step.board:
        return party != Party.NONE and on_portfolio_board(actor)
    return party in step.parties


def may_transition(actor: AnyUser, demand: Demand, to: str) -> bool:
    """Whether the actor's standing lets them move this demand to `to` at all.

    Judged on the moves from the demand's current status when there are any, otherwise on every
    move into `to` (a sponsor may never approve, whatever the status). Whether the move is
    possible now is the separate answer of `allowed_transitions`.
    """
    party = party_of(demand, actor)
    into = [t for t in TRANSITIONS if t.target == to]
    now = [t for t in into if t.source == demand.status]
    return any(_takes(t, party, actor) for t in (now or into))


def may_approve_demand(actor: AnyUser, demand: Demand) -> bool:
    """Approve a demand: the portfolio board (IT leadership, administrators), never the unit's
    own BRM (who proposes it) nor its sponsor."""
    return may_transition(actor, demand, S.APPROVED)


def allowed_transitions(demand: Demand, user: AnyUser) -> list[Transition]:
    """What to offer this actor now: exactly what `transition_demand` would accept."""
    party = party_of(demand, user)
    return [t for t in TRANSITIONS if t.source == demand.status and _takes(t, party, user)]


def may_edit_case(demand: Demand, user: AnyUser) -> bool:
    """The business case is the BRM's (with the sponsor), until delivery starts."""
    return party_of(demand, user) == Party.HANDLER and demand.status in {
        S.IDEA,
        S.ASSESSING,
        S.APPROVED,
    }


def may_attach_to_demand(actor: AnyUser, demand: Demand) -> bool:
    """Add a file to the demand (business case documents, estimates, the delivery report): its
    handlers, the unit's BRM or deputy and administrators, at any stage. Others read them."""
    return party_of(demand, actor) == Party.HANDLER


def may_override_rank(demand: Demand, user: AnyUser) -> bool:
    """Put a demand at a chosen place on the ranked board: the portfolio board only. A BRM
    re-ranking their own unit's demand would be judge in their own cause."""
    return party_of(demand, user) != Party.NONE and on_portfolio_board(user)


def may_record_benefits(demand: Demand, user: AnyUser) -> bool:
    return party_of(demand, user) == Party.HANDLER and demand.status in {
        S.DELIVERED,
        S.BENEFITS_REALISED,
    }


def may_attest_benefits(demand: Demand, user: AnyUser) -> bool:
    """The role part of confirming benefits: only the business, a leader of the demand's unit."""
    return party_of(demand, user) == Party.SPONSOR


def may_confirm_benefits(demand: Demand, user: AnyUser) -> bool:
    """What to offer: the sponsor side, once the demand is delivered."""
    return may_attest_benefits(demand, user) and demand.status in {
        S.DELIVERED,
        S.BENEFITS_REALISED,
    }


def clean_reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InputError("reason", gettext("Give a reason; the sponsor sees it."))
    if len(text) > MAX_REASON:
        raise InputError(
            "reason",
            gettext("Keep the reason under %(MAX_REASON)s characters.")
            % {"MAX_REASON": MAX_REASON},
        )
    return text


@transaction.atomic
def transition_demand(demand: Demand, to: str, *, actor: AnyUser, reason: str = "") -> Demand:
    """Move a demand to `to`, record the step with its reason, and return the fresh demand.

    The row is locked first so two people acting at once cannot both move it from the same
    state; the check runs against the locked, current state. Raises `ForbiddenAction` (403,
    nothing written) when `may_transition` says no, `StateConflict` (409) when the current
    status does not allow the move, `InputError` (400) for an unknown status or a missing reason.
    """
    if to not in DemandStatus.values:
        raise InputError("to", gettext("Unknown status “%(to)s”.") % {"to": to})
    locked = Demand.objects.select_for_update().get(pk=demand.pk)
    if not may_transition(actor, locked, to):
        raise ForbiddenTransition("Your role may not make this change.")
    match = [t for t in allowed_transitions(locked, actor) if t.target == to]
    if not match:
        raise TransitionError(
            f"A demand that is {locked.get_status_display().lower()} cannot become "
            f"{DemandStatus(to).label.lower()}."
        )
    step = match[0]
    text = clean_reason(reason, required=step.reason_required)
    if step.needs_case and not locked.case_complete:
        raise TransitionError(
            "Complete the business case (benefit, cost, alignment, risk, effort) before approval."
        )
    source = locked.status
    now = timezone.now()
    locked.status = to
    locked.status_reason = text
    if to == S.DELIVERED:
        locked.delivered_at = now
    set_change_reason(locked, f"{source} -> {to}" + (f": {text}" if text else ""))
    locked.save()
    DemandStatusChange.objects.create(
        demand=locked,
        from_status=source,
        to_status=to,
        actor=stored_user(actor),
        reason=text,
        created_at=now,
    )
    publish("demand.status_changed", locked, locked.unit_id)
    for f in Demand._meta.concrete_fields:
        setattr(demand, f.attname, getattr(locked, f.attname))
    return locked
