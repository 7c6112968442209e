from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from reviews import services
from reviews.models import NoticeKind, ReviewNotice, ReviewSettings, ServiceReview
from reviews.tasks import send_review_reminders
from tests.mail import refusing_mail
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def soon(unit_a, brm, cfo, other_brm):
    return services.plan_review(
        unit_a,
        actor=brm,
        scheduled_at=NOW + timedelta(days=2),
        attendees=[cfo],
        it_attendees=[brm, other_brm],
        agenda="Availability; renewals, pricing",
    )


def test_it_sends_each_reminder_once_however_often_it_runs(soon):
    first = send_review_reminders()
    second = send_review_reminders()
    nothing = {"reminders": 0, "overdue": 0, "unplanned": 0, "failed": 0, "released": 0}
    assert first == {**nothing, "reminders": 3}
    assert second == nothing
    assert sorted(m.to[0] for m in mail.outbox) == [
        "brm@example.org",
        "carla@example.org",
        "otherbrm@example.org",
    ]
    assert ReviewNotice.objects.filter(sent_at__isnull=False).count() == 3


def test_it_attaches_an_ics_invitation_and_an_html_part(soon):
    send_review_reminders()
    message = mail.outbox[0]
    assert "Finance" in message.subject
    assert message.alternatives[0].mimetype == "text/html"  # type: ignore[attr-defined]  # EmailMultiAlternatives
    [(name, content, mimetype)] = message.attachments
    assert name == "service-review.ics"
    assert mimetype.startswith("text/calendar")
    # The start carries its time zone (TZID, or UTC): compare it as an instant.
    event = next(iter(icalendar.Calendar.from_ical(content).walk("VEVENT")))
    assert event.decoded("DTSTART") == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert "\r\n" in content


def test_it_does_not_remind_before_the_configured_days_ahead(unit_a, brm):
    services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=4))
    assert send_review_reminders()["reminders"] == 0
    settings = ReviewSettings.get()
    settings.reminder_days_ahead = 5
    settings.save()
    assert send_review_reminders()["reminders"] == 1


def test_it_reminds_again_after_the_review_is_moved(soon, brm):
    send_review_reminders()
    services.update_review(soon, actor=brm, fields={"scheduled_at": NOW + timedelta(days=1)})
    assert send_review_reminders()["reminders"] == 3


def test_it_flags_a_planned_review_as_overdue_after_the_grace_days(unit_a, brm):
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        review = services.plan_review(unit_a, actor=brm, scheduled_at=NOW - timedelta(hours=30))
    assert list(ServiceReview.objects.overdue(NOW, grace_days=1)) == [review]
    assert not ServiceReview.objects.overdue(NOW, grace_days=2).exists()
    assert review.is_overdue(NOW, grace_days=1)


def test_it_sends_the_overdue_notice_once_to_the_brm(unit_a, brm):
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        services.plan_review(unit_a, actor=brm, scheduled_at=NOW - timedelta(days=3))
    assert send_review_reminders()["overdue"] == 1
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert send_review_reminders()["overdue"] == 0
    assert [m.to for m in mail.outbox] == [["brm@example.org"]]
    assert "Overdue" in mail.outbox[0].subject
    assert ReviewNotice.objects.get().kind == NoticeKind.OVERDUE


def test_it_tries_again_when_sending_failed(soon, settings):
    saved = settings.MAILERS
    refusing_mail(settings)
    assert send_review_reminders() == {
        "reminders": 0,
        "overdue": 0,
        "unplanned": 0,
        "failed": 3,
        "released": 0,
    }
    assert not ReviewNotice.objects.filter(sent_at__isnull=False).exists()  # never marked sent
    settings.MAILERS = saved
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):  # the next hourly run
        assert send_review_reminders()["reminders"] == 3
        assert send_review_reminders()["reminders"] == 0
    assert len(mail.outbox) == 3


def test_it_runs_from_the_management_command(soon, capsys):
    call_command("send_review_reminders")
    call_command("send_review_reminders")
    out = capsys.readouterr().out
    assert "3 reminder(s)" in out
    assert "0 reminder(s)" in out
    assert len(mail.outbox) == 3
