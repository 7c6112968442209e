"""Operations on service reviews, shared by views, API, admin and jobs.

The review workflow lives here: planned -> held (pack frozen, next review planned) or cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import set_change_reason
from brm.core.errors import StateConflict
from brm.core.events import publish
from brm.core.roles import require, stored_user
from brm.core.schedule import add_local_days
from brm.core.validators import validate_model
from portfolio.models import Service
from portfolio.selectors.catalogue import consumed_services, performance_pack
from portfolio.services.catalogue import check_consumed
from reviews import notices
from reviews.models import (
    CHANGE_TRANSITIONS,
    ChangeRequest,
    ChangeStatus,
    ReviewCommitment,
    ReviewStatus,
    ServiceReview,
    default_period,
)
from reviews.permissions import (
    may_add_commitment,
    may_change_review,
    may_decide_change,
    may_plan_review,
    may_raise_change,
)
from stakeholders.models import ActionItem, BusinessUnit, OwnerSide, Stakeholder
from stakeholders.services import CommitmentInput, make_commitment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from brm.core.roles import AnyUser


__all__ = ["StateConflict"]

REVIEW_FIELDS = ("scheduled_at", "duration_minutes", "location", "agenda")


def _check_relations(
    unit: BusinessUnit, services: Iterable[Service], attendees: Iterable[Stakeholder]
) -> None:
    """Services are the unit's (`check_consumed`: `InputError` on "services", 400) and attendees
    its people (`ValidationError` on "attendees")."""
    check_consumed(unit, services, field="services")
    strangers = [s.name for s in attendees if s.unit_id != unit.pk]
    if strangers:
        raise ValidationError(
            {
                "attendees": gettext("Not stakeholders of %(unit)s: %(names)s.")
                % {"unit": unit.name, "names": strangers}
            }
        )


def _require_change(actor: AnyUser | None, review: ServiceReview) -> None:
    require(
        may_change_review(actor, review),
        gettext("Only the unit's relationship managers change its reviews."),
    )


@transaction.atomic
def plan_review(
    unit: BusinessUnit,
    *,
    actor: AnyUser | None,
    scheduled_at: datetime,
    services: Iterable[Service] | None = None,
    attendees: Iterable[Stakeholder] = (),
    it_attendees: Iterable[User] = (),
    allow_past: bool = False,
    **fields: Any,
) -> ServiceReview:
    """Plan a review. It must lie in the future; the pack period defaults to one cadence back.

    Without `services`, the review covers every live service the unit consumes. Raises
    `ForbiddenAction` (nothing written) unless `may_plan_review(actor, unit)`, `InputError`
    ("services", 400) for a service the unit does not consume, `InputError` on the field when
    the review as filled in breaks the model's rules (a period start after the default end).
    """
    require(
        may_plan_review(actor, unit),
        gettext("Only the unit's relationship managers plan its reviews."),
    )
    if not allow_past and scheduled_at <= timezone.now():
        raise ValidationError(
            {"scheduled_at": gettext("A review is planned for a time in the future.")}
        )
    attendees = list(attendees)
    if services is None:
        services = unit.services.filter(lifecycle="live")
    services = list(services)
    _check_relations(unit, services, attendees)
    start, end = default_period(unit, scheduled_at)
    review = ServiceReview(
        unit=unit,
        scheduled_at=scheduled_at,
        period_start=fields.pop("period_start", None) or start,
        period_end=fields.pop("period_end", None) or end,
        planned_by=stored_user(actor),
        **{k: v for k, v in fields.items() if k in REVIEW_FIELDS},
    )
    # The period may be the default one: its rules (end on or after start) are checked here,
    # with the values filled in, not left to the database (InputError, 400 on the field).
    validate_model(review)
    review.save(force_insert=True)
    review.services.set(services)
    review.attendees.set(attendees)
    me = stored_user(actor)
    review.it_attendees.set(list(it_attendees) or ([me] if me is not None else []))
    publish("review.planned", review, review.unit_id)
    return review


@transaction.atomic
def update_review(
    review: ServiceReview,
    *,
    actor: AnyUser | None,
    fields: dict[str, Any],
    services: Iterable[Service] | None = None,
    attendees: Iterable[Stakeholder] | None = None,
    it_attendees: Iterable[User] | None = None,
) -> ServiceReview:
    """Change a review. Once held, only its minutes and outcome may change (the rest is history).

    Moving the time of a planned review clears the reminders sent, so the invitees hear about
    the new time. Raises `ForbiddenAction` unless `may_change_review(actor, review)`,
    `InputError` ("services", 400) when a service added is not one the unit consumes (those
    already covered may stay).
    """
    review = ServiceReview.objects.select_for_update().get(pk=review.pk)
    _require_change(actor, review)
    if review.status == ReviewStatus.CANCELLED:
        raise StateConflict(gettext("This review was cancelled; plan a new one instead."))
    if review.status == ReviewStatus.HELD:
        locked = set(fields) - {"minutes", "outcome"}
        if locked or services is not None or attendees is not None or it_attendees is not None:
            raise StateConflict(
                gettext("This review was held; only its minutes and outcome can change.")
            )
    moved = "scheduled_at" in fields and fields["scheduled_at"] != review.scheduled_at
    # Invitees hear about a change of time, length or place: a new SEQUENCE of the same UID.
    rescheduled = review.status == ReviewStatus.PLANNED and any(
        name in fields and fields[name] != getattr(review, name)
        for name in ("scheduled_at", "duration_minutes", "location")
    )
    if moved and fields["scheduled_at"] <= timezone.now():
        raise ValidationError(
            {"scheduled_at": gettext("A review is planned for a time in the future.")}
        )
    if services is not None:
        services = list(services)
        covered = set(review.services.values_list("pk", flat=True))
        check_consumed(review.unit, [s for s in services if s.pk not in covered])
    if attendees is not None:
        attendees = list(attendees)
        _check_relations(review.unit, [], attendees)
    for name, value in fields.items():
        setattr(review, name, value)
    if review.period_end < review.period_start:
        raise ValidationError({"period_end": gettext("The period must end on or after its start.")})
    validate_model(review)
    if rescheduled:
        review.sequence += 1
    review.save()
    if services is not None:
        review.services.set(services)
    if attendees is not None:
        review.attendees.set(attendees)
    if it_attendees is not None:
        review.it_attendees.set(it_attendees)
    if moved:
        review.notices.all().delete()
    if rescheduled:
        notices.queue_review_update(review)  # sent after commit, once per person and SEQUENCE
    return review


@transaction.atomic
def hold_review(
    review: ServiceReview,
    *,
    actor: AnyUser | None,
    minutes: str | None = None,
    outcome: str | None = None,
) -> tuple[ServiceReview, ServiceReview | None]:
    """Mark a planned review held: freeze its performance pack and plan the next one.

    The next review lands one cadence after this one (and never in the past); if the unit
    already has a later planned review, none is added. Returns (held review, next review).
    Raises `ForbiddenAction` unless `may_change_review`, `StateConflict` unless it is planned.
    """
    review = ServiceReview.objects.select_for_update().select_related("unit").get(pk=review.pk)
    _require_change(actor, review)
    if review.status != ReviewStatus.PLANNED:
        raise StateConflict(
            gettext("This review is already %(status)s.")
            % {"status": review.get_status_display().lower()}
        )
    now = timezone.now()
    if review.scheduled_at > now + timedelta(hours=12):
        raise StateConflict(gettext("A review is marked held on or after its day, not before."))
    if minutes is not None:
        review.minutes = minutes
    if outcome is not None:
        review.outcome = outcome
    covered = list(review.services.all())
    review.performance_pack = performance_pack(
        review.unit, review.period_start, review.period_end, services=covered
    )
    review.status = ReviewStatus.HELD
    review.held_at = now
    set_change_reason(review, "Marked held")
    review.save()
    publish("review.held", review, review.unit_id)
    unit = review.unit
    following = None
    if not ServiceReview.objects.filter(
        unit=unit, status=ReviewStatus.PLANNED, scheduled_at__gt=review.scheduled_at
    ).exists():
        # One cadence in local calendar days: 15:00 stays 15:00 across summer time.
        when = add_local_days(review.scheduled_at, unit.review_cadence_days)
        if when <= now:
            when = add_local_days(now, unit.review_cadence_days)
        following = plan_review(
            unit,
            actor=actor,
            scheduled_at=when,
            # Only what the unit still consumes: a service it stopped using is not reviewed.
            services=list(consumed_services(unit).filter(pk__in=[s.pk for s in covered])),
            attendees=list(review.attendees.filter(active=True)),
            it_attendees=list(review.it_attendees.all()),
            period_start=review.period_end + timedelta(days=1),
            period_end=timezone.localdate(when) - timedelta(days=1),
            duration_minutes=review.duration_minutes,
            location=review.location,
        )
    return review, following


@transaction.atomic
def cancel_review(review: ServiceReview, *, actor: AnyUser | None) -> ServiceReview:
    """Cancel a planned review and send every invitee an iTIP CANCEL (RFC 5546, SEQUENCE + 1).
    Raises `ForbiddenAction` unless `may_change_review`, `StateConflict` unless it is planned."""
    review = ServiceReview.objects.select_for_update().get(pk=review.pk)
    _require_change(actor, review)
    if review.status != ReviewStatus.PLANNED:
        raise StateConflict(
            gettext("This review is already %(status)s.")
            % {"status": review.get_status_display().lower()}
        )
    review.status = ReviewStatus.CANCELLED
    review.sequence += 1
    set_change_reason(review, "Cancelled")
    review.save(update_fields=["status", "sequence", "updated_at"])
    notices.queue_review_update(review)  # METHOD:CANCEL to every invitee, after commit
    publish("review.cancelled", review, review.unit_id)
    return review


@transaction.atomic
def raise_change_request(
    review: ServiceReview, *, actor: AnyUser | None, **fields: Any
) -> ChangeRequest:
    """Record a change to scope or contract raised at a review (planned or held).

    Raises `ForbiddenAction` unless `may_raise_change`, `StateConflict` for a cancelled review,
    `InputError` ("service", 400) for a service the review's unit does not consume.
    """
    require(
        may_raise_change(actor, review),
        gettext("Only the unit's relationship managers record change requests."),
    )
    if review.status == ReviewStatus.CANCELLED:
        raise StateConflict(gettext("Changes are raised at a review that takes place."))
    check_consumed(review.unit, [fields.get("service")], field="service")
    return ChangeRequest.objects.create(review=review, raised_by=stored_user(actor), **fields)


@transaction.atomic
def update_change_request(
    change: ChangeRequest, *, actor: AnyUser | None, fields: dict[str, Any]
) -> ChangeRequest:
    """Edit a change request's description (its status moves only through a decision).

    Raises `ForbiddenAction` (nothing saved) unless `may_raise_change` on its review,
    `InputError` ("service", 400) for a new service the review's unit does not consume.
    """
    change = (
        ChangeRequest.objects.select_for_update().select_related("review__unit").get(pk=change.pk)
    )
    require(
        may_raise_change(actor, change.review),
        gettext("Only the unit's relationship managers change its change requests."),
    )
    new_service = fields.get("service")
    if new_service is not None and new_service.pk != change.service_id:
        check_consumed(change.review.unit, [new_service], field="service")
    for name, value in fields.items():
        setattr(change, name, value)
    change.save()
    return change


@transaction.atomic
def decide_change_request(
    change: ChangeRequest, *, actor: AnyUser | None, status: str, decision: str = ""
) -> ChangeRequest:
    """Accept, reject or mark implemented, in that order; the decision text stays on record.

    Raises `ForbiddenAction` unless `may_decide_change`, `StateConflict` for a step out of order.
    """
    change = (
        ChangeRequest.objects.select_for_update().select_related("review__unit").get(pk=change.pk)
    )
    require(
        may_decide_change(actor, change),
        gettext("Only the unit's relationship managers decide its change requests."),
    )
    if status not in CHANGE_TRANSITIONS[ChangeStatus(change.status)]:
        raise StateConflict(
            gettext("A change that is %(current)s cannot become %(target)s.")
            % {"current": change.get_status_display().lower(), "target": status}
        )
    change.status = status
    if decision:
        change.decision = decision
    change.decided_at = timezone.now()
    set_change_reason(change, f"Decision: {status}")
    change.save()
    return change


@dataclass
class CommitmentSpec:
    title: str
    due_date: date
    owner_side: str = OwnerSide.IT
    owner: User | None = None
    owner_stakeholder: Stakeholder | None = None
    description: str = ""


@transaction.atomic
def add_commitment(
    review: ServiceReview, spec: CommitmentSpec, *, actor: AnyUser | None
) -> ActionItem:
    """A promise made at the review, by IT or by the business, tracked with the others.

    Raises `ForbiddenAction` unless `may_add_commitment`, `StateConflict` for a cancelled review.
    """
    require(
        may_add_commitment(actor, review),
        gettext("Only the unit's relationship managers record promises for it."),
    )
    if review.status == ReviewStatus.CANCELLED:
        raise StateConflict(gettext("Commitments are made at a review that takes place."))
    item = make_commitment(
        review.unit,
        CommitmentInput(
            title=spec.title,
            due_date=spec.due_date,
            owner_side=spec.owner_side,
            owner=spec.owner,
            owner_stakeholder=spec.owner_stakeholder,
            description=spec.description,
        ),
        actor=actor,
    )
    ReviewCommitment.objects.create(review=review, commitment=item)
    return item
