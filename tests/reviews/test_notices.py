"""Claims a dead worker left (released and resent by the kernel's delivery path, with the same
Message-ID), and the "review due, none planned" notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import IntegrityError

from brm.core import delivery
from brm.core.models import OutboundEmail
from reviews import notices, services
from reviews.models import NoticeKind, ReviewNotice, UnplannedReviewNotice
from reviews.tasks import send_review_reminders
from stakeholders.models import BusinessUnit
from tests.factories import UserFactory
from tests.mail import refusing_mail
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def soon(unit_a, brm, cfo):
    return services.plan_review(
        unit_a, actor=brm, scheduled_at=NOW + timedelta(days=2), attendees=[cfo], it_attendees=[brm]
    )


def _claim_at(when, review, recipient):
    """A claim a worker took at `when` and then died before marking it sent (maybe after the
    mail server accepted it)."""
    with time_machine.travel(when, tick=False):
        notice = ReviewNotice.objects.create(
            review=review, recipient=recipient, kind=NoticeKind.REMINDER
        )
        email = delivery.enqueue(notices.REVIEW_NOTICE_EMAIL, notice.pk, queue=False)
        assert delivery.claim(email.pk)
    return email


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_CLAIM_TIMEOUT)


@pytest.fixture
def due_unit(unit_a, brm):
    """Finance, reviewed every 90 days, created 92 days ago and never reviewed: due 2 days ago
    (within NOTIFICATION_MAX_AGE_DAYS), nothing planned. Its deputy hears about it too."""
    deputy = UserFactory.create(username="deputy", email="deputy@example.org")
    BusinessUnit.objects.filter(pk=unit_a.pk).update(
        created_at=NOW - timedelta(days=92), review_cadence_days=90, deputy=deputy
    )
    unit_a.refresh_from_db()
    return unit_a


# --- Stale claims -----------------------------------------------------------------------------


def test_it_sends_a_notice_whose_worker_died_after_claiming_it(soon):
    email = _claim_at(NOW - timedelta(minutes=20), soon, "carla@example.org")
    result = send_review_reminders()
    assert result["released"] == 1
    assert result["reminders"] == 2  # Bianca, and Carla's released claim
    assert sorted(m.to[0] for m in mail.outbox) == ["brm@example.org", "carla@example.org"]
    assert ReviewNotice.objects.filter(sent_at__isnull=True).count() == 0
    [resent] = [m for m in mail.outbox if m.to == ["carla@example.org"]]
    assert resent.extra_headers["Message-ID"] == email.message_id  # the same message again


def test_the_kernel_sweep_alone_resends_a_dead_workers_notice_once(soon):
    email = _claim_at(NOW - timedelta(minutes=20), soon, "carla@example.org")
    assert delivery.sweep() == 1
    assert delivery.sweep() == 0
    [message] = mail.outbox
    assert message.to == ["carla@example.org"]
    assert message.extra_headers["Message-ID"] == email.message_id
    assert ReviewNotice.objects.get(recipient="carla@example.org").sent_at is not None


def test_it_releases_a_stale_claim_once_however_often_it_runs(soon):
    _claim_at(NOW - timedelta(minutes=20), soon, "carla@example.org")
    send_review_reminders()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert send_review_reminders() == {
            "reminders": 0,
            "overdue": 0,
            "unplanned": 0,
            "failed": 0,
            "released": 0,
        }
    assert [m.to[0] for m in mail.outbox].count("carla@example.org") == 1


def test_it_leaves_a_claim_alone_while_its_worker_may_still_be_sending(soon):
    _claim_at(NOW - timedelta(minutes=4), soon, "carla@example.org")
    result = send_review_reminders()
    assert result["released"] == 0
    assert [m.to[0] for m in mail.outbox] == ["brm@example.org"]
    later = NOW - timedelta(minutes=4) + _claim_timeout() + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert send_review_reminders()["released"] == 1
    assert [m.to[0] for m in mail.outbox] == ["brm@example.org", "carla@example.org"]


def test_it_never_releases_a_notice_that_was_sent(soon):
    send_review_reminders()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert delivery.release_stale_claims() == 0
        assert delivery.sweep() == 0
    assert ReviewNotice.objects.filter(sent_at__isnull=False).count() == 2
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_it_does_not_send_a_released_claim_for_a_review_no_longer_due(soon, brm):
    _claim_at(NOW - timedelta(minutes=20), soon, "carla@example.org")
    services.cancel_review(soon, actor=brm)
    result = send_review_reminders()
    assert (result["released"], result["reminders"]) == (1, 0)
    assert delivery.sweep() == 0  # the released claim no longer applies: skipped, not sent
    assert not mail.outbox


# --- Review due, none planned -----------------------------------------------------------------


def test_it_tells_the_brm_and_deputy_once_that_a_review_is_due_and_none_planned(due_unit):
    first = send_review_reminders()
    second = send_review_reminders()
    assert (first["unplanned"], second["unplanned"]) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["brm@example.org", "deputy@example.org"]
    message = mail.outbox[0]
    assert "Finance" in message.subject and "none is planned" in message.subject
    assert f"/reviews/new/?unit={due_unit.pk}" in message.body
    assert message.alternatives[0].mimetype == "text/html"  # type: ignore[attr-defined]  # EmailMultiAlternatives
    assert set(UnplannedReviewNotice.objects.values_list("due_on", flat=True)) == {
        (NOW - timedelta(days=2)).date()
    }


def test_it_does_not_tell_anyone_once_a_review_is_planned(due_unit, brm):
    services.plan_review(due_unit, actor=brm, scheduled_at=NOW + timedelta(days=20))
    assert send_review_reminders()["unplanned"] == 0
    assert not UnplannedReviewNotice.objects.exists()


def test_it_does_not_tell_anyone_before_the_review_is_due(due_unit):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        assert send_review_reminders()["unplanned"] == 0


def test_it_tells_again_when_the_next_due_date_passes_with_nothing_planned(due_unit, brm):
    send_review_reminders()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        review = services.plan_review(due_unit, actor=brm, scheduled_at=NOW + timedelta(hours=1))
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        _, following = services.hold_review(review, actor=brm)
        assert following is not None
        services.cancel_review(following, actor=brm)
    with time_machine.travel(NOW + timedelta(days=92), tick=False):
        assert send_review_reminders()["unplanned"] == 2
    assert UnplannedReviewNotice.objects.count() == 4
    assert len(mail.outbox) == 4


def test_it_retries_a_failed_unplanned_notice(due_unit, settings):
    saved = settings.MAILERS
    refusing_mail(settings)
    result = send_review_reminders()
    assert (result["unplanned"], result["failed"]) == (0, 2)
    assert not UnplannedReviewNotice.objects.filter(sent_at__isnull=False).exists()
    settings.MAILERS = saved
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):  # the next hourly run
        assert send_review_reminders()["unplanned"] == 2
        assert send_review_reminders()["unplanned"] == 0
    assert len(mail.outbox) == 2


def test_it_releases_a_stale_unplanned_claim(due_unit):
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        notice = UnplannedReviewNotice.objects.create(
            unit=due_unit, due_on=(NOW - timedelta(days=2)).date(), recipient="brm@example.org"
        )
        email = delivery.enqueue(notices.UNPLANNED_NOTICE_EMAIL, notice.pk, queue=False)
        assert delivery.claim(email.pk)
    result = send_review_reminders()
    assert (result["released"], result["unplanned"]) == (1, 2)
    assert len(mail.outbox) == 2


def test_it_keeps_one_unplanned_notice_per_unit_due_date_and_person(due_unit):
    day = (NOW - timedelta(days=2)).date()
    UnplannedReviewNotice.objects.create(unit=due_unit, due_on=day, recipient="brm@example.org")
    with pytest.raises(IntegrityError):
        UnplannedReviewNotice.objects.create(unit=due_unit, due_on=day, recipient="brm@example.org")


def test_it_skips_inactive_units(due_unit):
    BusinessUnit.objects.filter(pk=due_unit.pk).update(active=False)
    assert send_review_reminders()["unplanned"] == 0
