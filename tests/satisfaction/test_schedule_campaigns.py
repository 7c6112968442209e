"""Recurring survey campaigns run on a grid counted from their first run, in local time
(issue 11): "every 3 months from 31 Aug" gives 30 Nov, 28 Feb, 31 May, 31 Aug, always at the
first run's wall-clock time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from satisfaction import services
from satisfaction.models import CampaignStatus, Schedule
from tests.factories import StakeholderFactory

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def london_time(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def series(make_campaign, unit_a, brm):
    """`series(first_run, **fields)`: a recurring campaign scheduled by its BRM."""

    def _make(first_run, **fields):
        for _ in range(2):
            StakeholderFactory.create(unit=unit_a, role_type="customer")
        campaign = make_campaign([unit_a], next_run_at=first_run, **fields)
        with time_machine.travel(london(2026, 8, 1, 12, 0), tick=False):
            return services.schedule_campaign(campaign, actor=brm)

    return _make


def _dispatch_at(campaign, when):
    with time_machine.travel(when, tick=False):
        services.dispatch_campaign(campaign.pk, now=timezone.now())
    campaign.refresh_from_db()
    return campaign.next_run_at


def test_a_quarterly_campaign_from_31_august_keeps_its_anchor_and_hour(series):
    campaign = series(london(2026, 8, 31, 9, 0), schedule=Schedule.QUARTERLY)
    assert campaign.first_run_at == london(2026, 8, 31, 9, 0)
    runs = [campaign.next_run_at]
    for _ in range(4):
        runs.append(_dispatch_at(campaign, runs[-1]))
    assert runs == [
        london(2026, 8, 31, 9, 0),
        london(2026, 11, 30, 9, 0),  # GMT: still 09:00 local
        london(2027, 2, 28, 9, 0),
        london(2027, 5, 31, 9, 0),  # back to the 31st, not the 28th
        london(2027, 8, 31, 9, 0),
    ]
    assert campaign.runs.count() == 4
    assert campaign.status == CampaignStatus.SCHEDULED


@pytest.mark.parametrize(
    ("first", "days", "second"),
    [
        # A week across the clocks going forward (28 Mar 2027) and back (31 Oct 2027).
        (london(2027, 3, 21, 9, 0), 7, london(2027, 3, 28, 9, 0)),
        (london(2027, 10, 24, 9, 0), 7, london(2027, 10, 31, 9, 0)),
        (london(2027, 1, 31, 8, 15), 60, london(2027, 4, 1, 8, 15)),
    ],
)
def test_a_campaign_every_n_days_keeps_its_local_hour(series, first, days, second):
    campaign = series(first, schedule=Schedule.EVERY_N_DAYS, interval_days=days)
    assert _dispatch_at(campaign, first) == second


def test_a_slipped_schedule_lands_on_its_grid_again(series):
    campaign = series(london(2026, 8, 31, 9, 0), schedule=Schedule.QUARTERLY)
    # The dispatcher did not run for months: the next run is the next grid date, the 31st.
    assert _dispatch_at(campaign, london(2027, 3, 10, 12, 0)) == london(2027, 5, 31, 9, 0)


def test_moving_the_start_of_a_scheduled_campaign_moves_its_anchor(series, brm):
    campaign = series(london(2026, 8, 31, 9, 0), schedule=Schedule.QUARTERLY)
    with time_machine.travel(london(2026, 8, 2, 12, 0), tick=False):
        campaign = services.update_campaign(
            campaign, actor=brm, next_run_at=london(2026, 9, 30, 10, 0)
        )
    assert campaign.first_run_at == london(2026, 9, 30, 10, 0)
    assert _dispatch_at(campaign, london(2026, 9, 30, 10, 0)) == london(2026, 12, 30, 10, 0)
