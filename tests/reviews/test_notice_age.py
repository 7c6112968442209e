"""No review notice about an event older than NOTIFICATION_MAX_AGE_DAYS: the kernel's one rule
(brm.core.delivery.too_old, also used for survey thank-yous and reminders) decides for overdue
notices (overdue since the review's time plus the grace days) and "review due, none planned"
notices (due since), both in the job and again when the composer runs (a sweep days later)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from brm.core import delivery
from brm.core.models import OutboundEmail
from reviews import notices, services
from reviews.models import NoticeKind, ReviewNotice, ReviewSettings, ServiceReview
from stakeholders.models import BusinessUnit
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture(autouse=True)
def max_age(settings):
    settings.NOTIFICATION_MAX_AGE_DAYS = 3


def _planned(unit, brm, at):
    with time_machine.travel(at - timedelta(days=30), tick=False):
        return services.plan_review(unit, actor=brm, scheduled_at=at, it_attendees=[brm])


def _grace() -> int:
    return ReviewSettings.get().overdue_grace_days


def _unit_due(unit, days_ago: int) -> BusinessUnit:
    """`unit`, reviewed every 90 days, never reviewed, created so its review fell due
    `days_ago` days before NOW, with nothing planned."""
    BusinessUnit.objects.filter(pk=unit.pk).update(
        created_at=NOW - timedelta(days=90 + days_ago), review_cadence_days=90
    )
    return BusinessUnit.objects.get(pk=unit.pk)


def test_an_old_overdue_review_gets_no_notice_and_a_fresh_one_does(unit_a, unit_b, brm, other_brm):
    # Seed-like: planned long ago and never marked held (overdue for months).
    old = _planned(unit_a, brm, NOW - timedelta(days=120))
    # Fresh: became overdue one day ago.
    fresh = _planned(unit_b, other_brm, NOW - timedelta(days=_grace() + 1))
    run = notices.send_review_notices()
    assert [review for review, _ in run.overdue] == [fresh.pk]
    assert [m.to for m in mail.outbox] == [[other_brm.email]]
    assert not ReviewNotice.objects.filter(review=old).exists()


def test_the_limit_is_the_settings_number_of_days(unit_a, brm, settings):
    review = _planned(unit_a, brm, NOW - timedelta(days=_grace() + 5))  # overdue 5 days
    assert notices.send_review_notices().overdue == []
    settings.NOTIFICATION_MAX_AGE_DAYS = 6
    assert [r for r, _ in notices.send_review_notices().overdue] == [review.pk]


def test_an_overdue_notice_left_pending_is_dropped_once_it_is_too_old(unit_a, brm):
    review = _planned(unit_a, brm, NOW - timedelta(days=_grace() + 1))
    notice = ReviewNotice.objects.create(
        review=review, recipient=brm.email, kind=NoticeKind.OVERDUE
    )
    row = delivery.enqueue(notices.REVIEW_NOTICE_EMAIL, notice.pk, queue=False)
    later = NOW + timedelta(days=5)  # the mail server was down for five days
    with time_machine.travel(later, tick=False):
        assert delivery.sweep(later) == 0
    assert OutboundEmail.objects.get(pk=row.pk).state == "skipped"
    assert not mail.outbox


def test_a_unit_due_long_ago_gets_no_none_planned_notice_and_one_due_now_does(
    unit_a, unit_b, brm, other_brm
):
    _unit_due(unit_a, days_ago=200)  # demo data: never reviewed
    _unit_due(unit_b, days_ago=1)
    run = notices.send_review_notices()
    assert [unit for unit, _ in run.unplanned] == [unit_b.pk]
    assert [m.to for m in mail.outbox] == [[other_brm.email]]


def test_reminders_before_a_future_review_still_go_out(unit_a, brm):
    review = _planned(unit_a, brm, NOW + timedelta(days=1))
    assert [r for r, _ in notices.send_review_notices().reminders] == [review.pk]
    assert ServiceReview.objects.get(pk=review.pk).status == "planned"
