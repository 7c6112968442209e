"""The reminder job of service reviews: reminders before a review, overdue notices, and notices
that a unit's review is due with none planned.

Each notice is a business record (`ReviewNotice`, `UnplannedReviewNotice`: unique per review,
person and kind, or per unit, due date and person), and its email goes through the kernel's one
delivery path (`brm.core.delivery`): claimed once, marked sent only after the mail server accepted
it, retried after a failure, and a claim a dead worker left behind is released and resent with
the same Message-ID. So a rerun or a parallel worker sends nothing twice and nothing is lost.

No notice is sent about an event older than ``settings.NOTIFICATION_MAX_AGE_DAYS`` (the kernel's
one rule, `brm.core.delivery.too_old`, the same as for survey thank-yous and reminders): a review
that became overdue, or a unit whose review fell due, longer ago than that (demo data, a
backlog, a long outage) gets no overdue or "none planned" notice. The job skips them and the
composer checks again at send time (a notice the sweep retries days later is dropped too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from brm.core import delivery
from brm.core.delivery import Outcome, Outgoing, too_old
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from brm.core.schedule import add_local_days
from reviews import selectors
from reviews.ics import review_ics, review_recipients
from reviews.models import (
    NoticeKind,
    ReviewNotice,
    ReviewSettings,
    ReviewStatus,
    ServiceReview,
    UnplannedReviewNotice,
)
from stakeholders.models import BusinessUnit

logger = logging.getLogger(__name__)

REVIEW_NOTICE_EMAIL = "reviews.notice"  # composer: compose_review_notice
UNPLANNED_NOTICE_EMAIL = "reviews.unplanned"  # composer: compose_unplanned_notice
REVIEW_UPDATE_EMAIL = "reviews.update"  # composer: compose_review_update


@dataclass
class NoticeRun:
    """What one run of the reminder job did, for its log and the management command."""

    reminders: list[tuple[int, str]] = field(default_factory=list)
    overdue: list[tuple[int, str]] = field(default_factory=list)
    unplanned: list[tuple[int, str]] = field(default_factory=list)  # (unit id, email)
    failed: list[tuple[str, str]] = field(default_factory=list)  # ("review 3", email)
    released: int = 0


def _email(
    subject: Callable[[], str],
    template: str,
    context: dict[str, Any],
    to: str,
    invitation: tuple[Callable[[], str], str] | None = None,
) -> EmailMultiAlternatives:
    """The email to `to` in their language (else the site's): `subject` is called, and the
    templates rendered, inside that language, so the subject's words and dates follow it too.
    `invitation` (the .ics builder, its METHOD) is attached, its summary and description written
    in the same language."""
    with translation.override(language_for([to])):
        message = EmailMultiAlternatives(
            subject=subject(), body=render_to_string(f"{template}.txt", context), to=[to]
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        if invitation is not None:
            ics, method = invitation
            message.attach(
                "service-review.ics", ics(), f"text/calendar; method={method}; charset=utf-8"
            )
    return message


def _when(instant: datetime) -> str:
    """`instant` in the reader's zone and language, e.g. "Tue 1 Dec, 09:00 GMT" or
    "Mar 1 Dic, 09:00 GMT" (Django's localized date format, not strftime's C locale)."""
    return formats.date_format(timezone.localtime(instant), "D j M, H:i T")


def _brm_and_deputy(unit: BusinessUnit) -> list[tuple[str, str]]:
    return [
        (u.get_full_name() or u.get_username(), u.email)
        for u in (unit.brm, unit.deputy)
        if u is not None and u.email
    ]


def overdue_since(review: ServiceReview, grace_days: int) -> datetime:
    """The instant `review` became overdue: its start plus the grace days (the moment
    `ServiceReviewQuerySet.overdue` starts listing it). Its overdue notice is the event
    `too_old` judges."""
    return review.scheduled_at + timedelta(days=grace_days)


def _name_of(email: str, recipients: list[tuple[str, str]]) -> str | None:
    """The recipient's name if `email` is still one of `recipients`, else None."""
    return next((name for name, e in recipients if e.lower() == email.lower()), None)


def compose_review_notice(row: OutboundEmail) -> Outgoing | None:
    """The email of `ReviewNotice` ``row.ref``: a reminder (with the .ics invitation) or an
    overdue notice. None when it no longer applies: the notice is gone, the review was held,
    moved or cancelled, or the person is no longer invited."""
    notice = (
        ReviewNotice.objects.select_related("review__unit__brm", "review__unit__deputy")
        .filter(pk=row.ref)
        .first()
    )
    if notice is None:
        return None
    review, now = notice.review, timezone.now()
    if notice.kind == NoticeKind.REMINDER:
        if review.status != ReviewStatus.PLANNED or review.scheduled_at <= now:
            return None
        recipients = review_recipients(review)
    else:
        grace = ReviewSettings.get().overdue_grace_days
        if not ServiceReview.objects.overdue(now, grace).filter(pk=review.pk).exists():
            return None
        if too_old(overdue_since(review, grace), now):
            return None
        recipients = _brm_and_deputy(review.unit)
    name = _name_of(notice.recipient, recipients)
    if name is None:
        return None
    context = {
        "review": review,
        "name": name,
        "kind": notice.kind,
        "url": settings.SITE_URL + review.get_absolute_url(),
    }

    def subject() -> str:
        if notice.kind == NoticeKind.REMINDER:
            return _("Reminder: service review with %(unit)s on %(when)s") % {
                "unit": review.unit.name,
                "when": _when(review.scheduled_at),
            }
        return _("Overdue: service review with %(unit)s not marked held") % {
            "unit": review.unit.name
        }

    invitation = None
    if notice.kind == NoticeKind.REMINDER:
        invitation = (lambda: review_ics(review, attendees=recipients), "REQUEST")
    email = _email(subject, "reviews/email/notice", context, notice.recipient, invitation)
    return Outgoing(email, lambda sent_at: _mark_sent(ReviewNotice, notice.pk, sent_at))


def queue_review_update(review: ServiceReview) -> int:
    """Record the update (moved) or cancellation of `review` for every invitee, sent after the
    caller's transaction commits: one email per person and SEQUENCE (key
    ``reviews.update:<review>:<sequence>:<address>``). Returns how many were recorded."""
    recipients = review_recipients(review)
    for _name, email in recipients:
        key = f"{REVIEW_UPDATE_EMAIL}:{review.pk}:{review.sequence}:{email.lower()}"
        delivery.enqueue(REVIEW_UPDATE_EMAIL, review.pk, key=key, to=email)
    return len(recipients)


def compose_review_update(row: OutboundEmail) -> Outgoing | None:
    """The email telling ``row.to`` that review ``row.ref`` moved (METHOD:REQUEST, same UID,
    higher SEQUENCE) or was cancelled (METHOD:CANCEL). None when a later change superseded it
    (the review's SEQUENCE is no longer the key's) or the person is no longer invited."""
    review = (
        ServiceReview.objects.select_related("unit__brm", "unit__deputy").filter(pk=row.ref).first()
    )
    sequence = int(row.key.split(":")[2])
    if review is None or review.sequence != sequence:
        return None
    cancelled = review.status == ReviewStatus.CANCELLED
    if not cancelled and (
        review.status != ReviewStatus.PLANNED or review.scheduled_at <= timezone.now()
    ):
        return None
    recipients = review_recipients(review)
    name = _name_of(row.to, recipients)
    if name is None:
        return None
    context = {
        "review": review,
        "name": name,
        "kind": "cancelled" if cancelled else "moved",
        "url": settings.SITE_URL + review.get_absolute_url(),
    }

    def subject() -> str:
        names = {"unit": review.unit.name, "when": _when(review.scheduled_at)}
        if cancelled:
            return _("Cancelled: service review with %(unit)s on %(when)s") % names
        return _("Moved: service review with %(unit)s, now on %(when)s") % names

    invitation = (
        lambda: review_ics(review, attendees=recipients),
        "CANCEL" if cancelled else "REQUEST",
    )
    email = _email(subject, "reviews/email/update", context, row.to, invitation)
    return Outgoing(email)


def compose_unplanned_notice(row: OutboundEmail) -> Outgoing | None:
    """The email of `UnplannedReviewNotice` ``row.ref``: the unit's review is due and none is
    planned. None once that is no longer true (a review was planned, or the due date moved) or
    the person is no longer the unit's BRM or deputy."""
    notice = UnplannedReviewNotice.objects.filter(pk=row.ref).first()
    if notice is None:
        return None
    unit = units_due_without_a_plan().filter(pk=notice.unit_id).first()
    if unit is None or timezone.localdate(unit.next_due_at) != notice.due_on:  # type: ignore[attr-defined]  # annotated (with_review_schedule)
        return None
    if too_old(unit.next_due_at):  # type: ignore[attr-defined]  # annotated (with_review_schedule)
        return None
    name = _name_of(notice.recipient, _brm_and_deputy(unit))
    if name is None:
        return None
    context = {
        "unit": unit,
        "name": name,
        "due_at": unit.next_due_at,  # type: ignore[attr-defined]  # annotated (with_review_schedule)
        "url": f"{settings.SITE_URL}{reverse('reviews:review_create')}?unit={unit.pk}",
    }

    def subject() -> str:
        return _("Service review with %(unit)s is due and none is planned") % {"unit": unit.name}

    email = _email(subject, "reviews/email/unplanned", context, notice.recipient)
    return Outgoing(email, lambda sent_at: _mark_sent(UnplannedReviewNotice, notice.pk, sent_at))


def _mark_sent(
    model: type[ReviewNotice] | type[UnplannedReviewNotice], pk: int, sent_at: datetime
) -> None:
    model._default_manager.filter(pk=pk, sent_at__isnull=True).update(sent_at=sent_at)


def _deliver(kind: str, notice: ReviewNotice | UnplannedReviewNotice, run: NoticeRun) -> bool:
    """Send a notice's email now unless it went out already; True if this run sent it."""
    if notice.sent_at is not None:
        return False
    outcome = delivery.send_now(kind, notice.pk)
    if outcome in {Outcome.RETRY, Outcome.FAILED}:  # the send raised
        what = (
            f"review {notice.review_id}"
            if isinstance(notice, ReviewNotice)
            else f"unit {notice.unit_id}"
        )
        run.failed.append((what, notice.recipient))
    return outcome == Outcome.SENT


def _notify(
    review: ServiceReview, kind: str, recipients: list[tuple[str, str]], run: NoticeRun
) -> None:
    for _name, email in recipients:
        notice, _ = ReviewNotice.objects.get_or_create(review=review, recipient=email, kind=kind)
        if _deliver(REVIEW_NOTICE_EMAIL, notice, run):
            (run.reminders if kind == NoticeKind.REMINDER else run.overdue).append(
                (review.pk, email)
            )


def units_due_without_a_plan(now: datetime | None = None) -> QuerySet[BusinessUnit]:
    """Active units whose next review is due (or past due) with no review planned.

    The same rule as the "Overdue, not planned" flag of the schedule on the review list.
    """
    units = BusinessUnit.objects.filter(active=True).select_related("brm", "deputy")
    return selectors.units_due_without_a_plan(units, now)


def _notify_unplanned(unit: BusinessUnit, run: NoticeRun) -> None:
    due_on = timezone.localdate(unit.next_due_at)  # type: ignore[attr-defined]  # annotated (with_review_schedule)
    for _name, email in _brm_and_deputy(unit):
        notice, _ = UnplannedReviewNotice.objects.get_or_create(
            unit=unit, due_on=due_on, recipient=email
        )
        if _deliver(UNPLANNED_NOTICE_EMAIL, notice, run):
            run.unplanned.append((unit.pk, email))


def send_review_notices(now: datetime | None = None) -> NoticeRun:
    """Remind invitees N days before each planned review, tell the BRMs about overdue ones and
    about units whose review is due with none planned; none about an event older than
    NOTIFICATION_MAX_AGE_DAYS (`too_old`: overdue since, or due since, longer ago than that).

    Each (review, recipient, kind) and each (unit, due date, recipient) is sent at most once,
    however often this runs; claims a dead worker left are released first and sent now.
    """
    now = now or timezone.now()
    conf = ReviewSettings.get()
    run = NoticeRun(released=delivery.release_stale_claims(now))
    due_soon = (
        ServiceReview.objects.filter(
            status=ReviewStatus.PLANNED,
            scheduled_at__gt=now,
            # N local calendar days ahead, the same wall-clock time (brm.core.schedule).
            scheduled_at__lte=add_local_days(now, conf.reminder_days_ahead),
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
        if not too_old(overdue_since(review, conf.overdue_grace_days), now):
            _notify(review, NoticeKind.OVERDUE, _brm_and_deputy(review.unit), run)
    for unit in units_due_without_a_plan(now):
        if not too_old(unit.next_due_at, now):  # type: ignore[attr-defined]  # annotated (with_review_schedule)
            _notify_unplanned(unit, run)
    return run
