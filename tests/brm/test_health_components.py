"""Each health component against figures computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from brm.core.schedule import add_local_days
from brm.health import components
from brm.health.models import HealthSettings
from stakeholders.models import ActionStatus
from tests.brm.health_fixtures import NOW, day, metrics, survey, texts
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    ComplaintFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cfg():
    return HealthSettings.get()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_scores_delivery_as_the_share_of_periods_meeting_the_sla(cfg):
    unit = BusinessUnitFactory.create()
    metrics(unit, met=3, missed=1)
    result = components.delivery(NOW, cfg)[unit.pk]
    assert result.value == 75.0
    assert texts(result.facts)[0] == "3 of 4 service periods met their SLA (75%)"
    assert texts(result.facts)[1] == "Payroll service missed its SLA in 1 period"


def test_it_leaves_delivery_out_for_a_unit_without_services(cfg):
    unit = BusinessUnitFactory.create()
    assert unit.pk not in components.delivery(NOW, cfg)


def test_it_blends_survey_sentiment_and_complaint_ratings_into_perception(cfg):
    unit = BusinessUnitFactory.create()
    # Surveys: CSAT (4+2)/2 = 3 -> 50; NPS: one promoter (10), one detractor (5) -> 0 -> 50.
    survey(unit, [(4, 10), (2, 5)])
    # Sentiment: mean +1 -> (1+2)/4*100 = 75.
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=5), sentiment=1)
    # Complaint resolutions: rated 5 -> 100.
    ComplaintFactory.create(unit=unit, resolution_rating=5, rated_at=NOW - timedelta(days=3))
    result = components.perception(NOW, cfg)[unit.pk]
    # (50*0.5 + 75*0.3 + 100*0.2) / 1.0 = 67.5
    assert result.value == 67.5
    assert "CSAT 3.0, NPS +0 from 2 survey responses" in texts(result.facts)
    assert "Meeting sentiment +1.0 from 1 contact" in texts(result.facts)
    assert "Complaint resolutions rated 5.0/5 (1 rating)" in texts(result.facts)


def test_it_renormalises_perception_over_the_signals_that_have_data(cfg):
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=5), sentiment=-1)
    result = components.perception(NOW, cfg)[unit.pk]
    assert result.value == 25.0  # sentiment alone: (-1+2)/4*100, not diluted by missing surveys


def test_it_says_how_csat_moved_against_the_previous_window(cfg):
    unit = BusinessUnitFactory.create()
    survey(unit, [(4, None), (4, None)], at=NOW - timedelta(days=120))
    survey(unit, [(3, None), (2, None)])
    facts = texts(components.perception(NOW, cfg)[unit.pk].facts)
    assert "CSAT 2.5 (down from 4.0) from 2 survey responses" in facts


def test_it_penalises_open_complaints_by_severity_age_overdue_and_escalation(cfg):
    unit = BusinessUnitFactory.create()
    with time_machine.travel(NOW - timedelta(days=12), tick=False):
        # critical, 12 days old, past both deadlines, escalated to level 2:
        # 25 * (1 + 12/30) = 35, +10 overdue, +10 escalation -> 55
        ComplaintFactory.create(unit=unit, severity="critical", escalation_level=2)
    # low, filed now, deadlines ahead: 4 * 1 = 4
    ComplaintFactory.create(unit=unit, severity="low")
    result = components.complaints(NOW, cfg)[unit.pk]
    assert result.value == 41.0  # 100 - 55 - 4
    assert "1 critical complaint open for 12 days" in texts(result.facts)
    assert "1 past the acknowledge or resolve deadline" in texts(result.facts)
    assert "1 escalated" in texts(result.facts)


def test_it_gives_full_marks_when_last_years_complaints_are_all_closed(cfg):
    unit = BusinessUnitFactory.create()
    ComplaintFactory.create(unit=unit, status="closed", closed_at=NOW - timedelta(days=2))
    result = components.complaints(NOW, cfg)[unit.pk]
    assert result.value == 100.0
    assert texts(result.facts) == ["No open complaints (1 complaint in the last year)"]


def test_it_has_no_complaint_data_for_a_unit_that_never_complained(cfg):
    unit = BusinessUnitFactory.create()
    assert unit.pk not in components.complaints(NOW, cfg)


def test_it_scores_engagement_from_contact_expectations_and_review_schedule(cfg):
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        unit = BusinessUnitFactory.create(review_cadence_days=90)
    met = StakeholderFactory.create(unit=unit, name="Met Recently", influence=5, interest=5)
    StakeholderFactory.create(unit=unit, name="Not Met", influence=4, interest=2)
    StakeholderFactory.create(unit=unit, name="Low Power", influence=2, interest=5)  # not counted
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=10)).attendees.add(met)
    # Last held review 100 local days ago (the same wall-clock hour, whatever summer time did in
    # between), cadence 90: 10 days late -> 100 - 100*10/90 = 88.9 ...
    held = add_local_days(NOW, -100)
    ServiceReviewFactory.create(unit=unit, status="held", scheduled_at=held, held_at=held)
    result = components.engagement(NOW, cfg)[unit.pk]
    late = 100 - 100 * 10 / 90
    # contact: 1 of 2 high-influence people met within expectation -> 50.
    assert result.value == round((50 * 0.6 + late * 0.4), 1)
    assert "1 of 2 high-influence stakeholders met as often as expected" in texts(result.facts)
    assert "Not Met never met (expected every 60 days)" in texts(result.facts)
    assert "Service review overdue by 10 days" in texts(result.facts)
    assert result.data["neglected"][0]["name"] == "Not Met"


def test_it_counts_reviews_on_schedule_as_full_marks(cfg):
    unit = BusinessUnitFactory.create(review_cadence_days=90)  # created now: next due in 90 days
    result = components.engagement(NOW, cfg)[unit.pk]
    assert result.value == 100.0
    assert texts(result.facts)[-1].startswith("Service reviews on schedule")


def test_it_scores_commitments_as_it_promises_kept_on_time(cfg):
    unit = BusinessUnitFactory.create()
    on_time = NOW - timedelta(days=20)
    ActionItemFactory.create(
        unit=unit, due_date=day(10), status=ActionStatus.DONE, completed_at=on_time
    )
    ActionItemFactory.create(
        unit=unit, due_date=day(30), status=ActionStatus.DONE, completed_at=NOW - timedelta(days=35)
    )
    ActionItemFactory.create(
        unit=unit, due_date=day(25), status=ActionStatus.DONE, completed_at=NOW - timedelta(days=2)
    )
    ActionItemFactory.create(unit=unit, due_date=day(5))  # still open: overdue
    ActionItemFactory.create(unit=unit, due_date=day(-5))  # not due yet: not counted
    ActionItemFactory.create(unit=unit, due_date=day(5), owner_side="business")  # business side
    result = components.commitments(NOW, cfg)[unit.pk]
    assert result.value == 50.0  # 2 on time of 4 due
    assert texts(result.facts) == [
        "2 of 4 promises due were kept on time",
        "1 done late",
        "1 overdue",
    ]
