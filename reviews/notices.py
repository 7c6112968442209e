"""The reminder job of service reviews: reminders before a review, overdue notices, and notices
that a unit's review is due with none planned.

Every email is claimed before it is sent by inserting a unique row, so a rerun or a parallel
worker sends nothing twice; a failed send removes its claim, and a claim a dead worker left
behind is released by the next run, so every notice is eventually sent exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reviews.ics import review_ics, review_recipients
from reviews.models import (
    NoticeKind,
    ReviewNotice,
    ReviewSettings,
    ReviewStatus,
    ServiceReview,
    UnplannedReviewNotice,
)
from reviews.selectors import with_review_schedule
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from django.db.models import Model

logger = logging.getLogger(__name__)

# A claim without `sent_at` older than this belongs to a worker that died mid-send. It must be
# well past the task's hard time limit (CELERY_TASK_TIME_LIMIT, 5 minutes), so a slow but live
# sender is never doubled by the next run.
STALE_CLAIM_AFTER = timedelta(minutes=15)


@dataclass
class NoticeRun:
    """What one run of the reminder job did, for its log and the management command."""

    reminders: list[tuple[int, str]] = field(default_factory=list)
    overdue: list[tuple[int, str]] = field(default_factory=list)
    unplanned: list[tuple[int, str]] = field(default_factory=list)  # (unit id, email)
    failed: list[tuple[str, str]] = field(default_factory=list)  # ("review 3", email)
    released: int = 0


def release_stale_claims(now: datetime | None = None) -> int:
    """Remove claims that were never marked sent and are too old to be in flight.

    A conditional DELETE: running it twice, or in two workers, releases each claim once; the
    claim is then taken again by whoever inserts the row first, as for any new notice.
    """
    stale = (now or timezone.now()) - STALE_CLAIM_AFTER
    released = 0
    for model in (ReviewNotice, UnplannedReviewNotice):
        count, _ = model.objects.filter(sent_at__isnull=True, created_at__lt=stale).delete()
        released += count
    if released:
        logger.warning("Released %s stale review notice claim(s); they are sent again.", released)
    return released


def _claim(model: type[Model], **lookup: object) -> Model | None:
    """Insert the unique row; None if somebody else already holds it."""
    try:
        with transaction.atomic():
            notice, created = model._default_manager.get_or_create(**lookup)
    except IntegrityError:
        return None
    return notice if created else None


def _deliver(notice: Model, send: Callable[[], None], what: str, run: NoticeRun) -> bool:
    """Send a claimed notice and mark it sent; on failure give the claim back for a retry."""
    email = notice.recipient  # type: ignore[attr-defined]
    try:
        send()
    except Exception:
        logger.exception("%s: notice to %s failed; will retry.", what, email)
        notice.delete()
        run.failed.append((what, email))
        return False
    type(notice)._default_manager.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True


def _email(subject: str, template: str, context: dict, to: str) -> EmailMultiAlternatives:  # type: ignore[type-arg]
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def _send(review: ServiceReview, kind: str, recipient: tuple[str, str], ics: str | None) -> None:
    name, email = recipient
    context = {
        "review": review,
        "name": name,
        "kind": kind,
        "url": settings.SITE_URL + review.get_absolute_url(),
    }
    subject = (
        f"Reminder: service review with {review.unit.name} "
        f"on {timezone.localtime(review.scheduled_at):%a %d %b, %H:%M}"
        if kind == NoticeKind.REMINDER
        else f"Overdue: service review with {review.unit.name} not marked held"
    )
    message = _email(subject, "reviews/email/notice", context, email)
    if ics is not None:
        message.attach("service-review.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    message.send()


def _send_unplanned(unit: BusinessUnit, due_at: datetime, recipient: tuple[str, str]) -> None:
    name, email = recipient
    context = {
        "unit": unit,
        "name": name,
        "due_at": due_at,
        "url": f"{settings.SITE_URL}{reverse('reviews:review_create')}?unit={unit.pk}",
    }
    subject = f"Service review with {unit.name} is due and none is planned"
    _email(subject, "reviews/email/unplanned", context, email).send()


def _brm_and_deputy(unit: BusinessUnit) -> list[tuple[str, str]]:
    return [
        (u.get_full_name() or u.get_username(), u.email)
        for u in (unit.brm, unit.deputy)
        if u is not None and u.email
    ]


def _notify(review: ServiceReview, kind: str, recipients: list[tuple[str, str]], run: NoticeRun):  # type: ignore[no-untyped-def]
    ics = review_ics(review, attendees=recipients) if kind == NoticeKind.REMINDER else None
    for name, email in recipients:
        notice = _claim(ReviewNotice, review=review, recipient=email, kind=kind)
        if notice is None:
            continue
        send = partial(_send, review, kind, (name, email), ics)
        if _deliver(notice, send, f"review {review.pk}", run):
            (run.reminders if kind == NoticeKind.REMINDER else run.overdue).append(
                (review.pk, email)
            )


def units_due_without_a_plan(now: datetime | None = None):  # type: ignore[no-untyped-def]
    """Active units whose next review is due (or past due) with no review planned.

    The same rule as the "Overdue, not planned" flag of the schedule on the review list.
    """
    units = BusinessUnit.objects.filter(active=True).select_related("brm", "deputy")
    return with_review_schedule(units).filter(
        next_planned_at__isnull=True, next_due_at__lt=now or timezone.now()
    )


def _notify_unplanned(unit: BusinessUnit, run: NoticeRun) -> None:
    due_at = unit.next_due_at  # type: ignore[attr-defined]
    for name, email in _brm_and_deputy(unit):
        notice = _claim(
            UnplannedReviewNotice, unit=unit, due_on=timezone.localdate(due_at), recipient=email
        )
        if notice is None:
            continue
        send = partial(_send_unplanned, unit, due_at, (name, email))
        if _deliver(notice, send, f"unit {unit.pk}", run):
            run.unplanned.append((unit.pk, email))


def send_review_notices(now: datetime | None = None) -> NoticeRun:
    """Remind invitees N days before each planned review, tell the BRMs about overdue ones and
    about units whose review is due with none planned.

    Each (review, recipient, kind) and each (unit, due date, recipient) is sent at most once,
    however often this runs; stale claims of a crashed run are released and sent now.
    """
    now = now or timezone.now()
    conf = ReviewSettings.get()
    run = NoticeRun(released=release_stale_claims(now))
    due_soon = (
        ServiceReview.objects.filter(
            status=ReviewStatus.PLANNED,
            scheduled_at__gt=now,
            scheduled_at__lte=now + timedelta(days=conf.reminder_days_ahead),
        )
        .select_related("unit", "unit__brm", "unit__deputy")
        .prefetch_related("it_attendees", "attendees")
    )
    for review in due_soon:
        _notify(review, NoticeKind.REMINDER, review_recipients(review), run)
    overdue = ServiceReview.objects.overdue(now, conf.overdue_grace_days).select_related(
        "unit", "unit__brm", "unit__deputy"
    )
    for review in overdue:
        _notify(review, NoticeKind.OVERDUE, _brm_and_deputy(review.unit), run)
    for unit in units_due_without_a_plan(now):
        _notify_unplanned(unit, run)
    return run
