"""The gap between survey reminders is counted in local calendar days (site time zone), not in
elapsed 24-hour periods: satisfaction.mailing.reminder_due_at, asked by the reminder job and the
composer alike, built on brm.core.schedule (to_local, start_of_local_day)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from satisfaction import mailing
from satisfaction.models import CampaignStatus
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.NOTIFICATION_MAX_AGE_DAYS = 3


def _invitation(make_campaign, sent_link, unit, sent_at: datetime, reminder_days: int):
    campaign = make_campaign(
        [unit], status=CampaignStatus.OPEN, max_reminders=2, reminder_days=reminder_days
    )
    with time_machine.travel(sent_at, tick=False):
        invitation, _ = sent_link(campaign, StakeholderFactory.create(unit=unit), sent_at=sent_at)
    return invitation


def _run_at(when: datetime) -> list[int]:
    with time_machine.travel(when, tick=False):
        return mailing.send_reminders(when).sent


def test_three_days_across_the_spring_change_are_three_calendar_days(
    make_campaign, sent_link, unit_a
):
    # Sent Friday 27 March 2026 at 09:00 GMT; clocks go forward on Sunday 29 March.
    sent = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    invitation = _invitation(make_campaign, sent_link, unit_a, sent, reminder_days=3)
    assert mailing.reminder_due_at(invitation) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    # Sunday 23:30 BST: two local days later, not yet.
    assert _run_at(datetime(2026, 3, 29, 22, 30, tzinfo=UTC)) == []
    # Monday 09:00 BST (08:00 UTC): only 71 hours have passed, but it is the third day.
    assert _run_at(datetime(2026, 3, 30, 8, 0, tzinfo=UTC)) == [invitation.pk]
    assert len(mail.outbox) == 1


def test_the_autumn_change_neither_delays_nor_hastens_a_reminder(make_campaign, sent_link, unit_a):
    # Sent Friday 23 October 2026 at 23:30 BST; clocks go back on Sunday 25 October.
    sent = datetime(2026, 10, 23, 22, 30, tzinfo=UTC)
    invitation = _invitation(make_campaign, sent_link, unit_a, sent, reminder_days=2)
    # Due from Sunday 00:00 BST (Saturday 23:00 UTC), 24.5 hours after sending.
    assert mailing.reminder_due_at(invitation) == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert _run_at(datetime(2026, 10, 24, 22, 59, tzinfo=UTC)) == []
    assert _run_at(datetime(2026, 10, 25, 0, 10, tzinfo=UTC)) == [invitation.pk]


def test_the_next_reminder_counts_from_the_last_ones_local_day(make_campaign, sent_link, unit_a):
    sent = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # Monday 17:00 BST
    invitation = _invitation(make_campaign, sent_link, unit_a, sent, reminder_days=1)
    assert _run_at(datetime(2026, 6, 2, 6, 0, tzinfo=UTC)) == [invitation.pk]  # Tuesday 07:00
    assert _run_at(datetime(2026, 6, 2, 22, 59, tzinfo=UTC)) == []  # Tuesday 23:59 BST
    assert _run_at(datetime(2026, 6, 2, 23, 0, tzinfo=UTC)) == [invitation.pk]  # Wednesday 00:00
    assert len(mail.outbox) == 2
