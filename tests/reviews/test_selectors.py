"""When a unit's next review is due, whether it is late, and which reviews are overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reviews import selectors
from stakeholders.models import BusinessUnit
from tests.factories import ServiceReviewFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the night clocks go back in Europe


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _created(unit, days_ago: int) -> None:
    BusinessUnit.objects.filter(pk=unit.pk).update(created_at=NOW - timedelta(days=days_ago))


def test_it_calls_a_review_late_one_cadence_after_the_last_held_one(unit_a, unit_b):
    _created(unit_a, 91)  # never held: due 90 days after creation, a day ago
    _created(unit_b, 89)

    schedule = selectors.review_schedule_by_unit(NOW)

    assert schedule[unit_a.pk].late and schedule[unit_a.pk].days_late(NOW) == 1
    assert not schedule[unit_b.pk].late and schedule[unit_b.pk].days_late(NOW) == 0


def test_it_lists_units_due_with_none_planned_by_the_same_rule(unit_a, unit_b):
    _created(unit_a, 120)
    _created(unit_b, 120)
    ServiceReviewFactory.create(unit=unit_b, scheduled_at=NOW + timedelta(days=3))

    due = selectors.units_due_without_a_plan(BusinessUnit.objects.all(), NOW)

    assert list(due) == [unit_a]


def test_it_calls_a_planned_review_overdue_only_after_the_grace_days(brm, unit_a, unit_b):
    ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(hours=20))  # within a day
    late = ServiceReviewFactory.create(unit=unit_b, scheduled_at=NOW - timedelta(days=2))

    assert list(selectors.overdue_reviews(brm, NOW)) == [late]


def test_it_shows_a_leader_only_their_units_overdue_reviews(leader, unit_a, unit_b):
    mine = ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(days=2))
    ServiceReviewFactory.create(unit=unit_b, scheduled_at=NOW - timedelta(days=2))

    assert list(selectors.overdue_reviews(leader, NOW)) == [mine]


def test_it_reads_the_stored_grace_days_inside_the_overdue_query(
    brm, unit_a, django_assert_num_queries
):
    from reviews.models import ReviewSettings, ServiceReview

    reviews = [
        ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(days=d, hours=1))
        for d in (0, 1, 2, 5)
    ]
    ReviewSettings.objects.all().delete()  # no row yet: the field's default (1 day)
    list(selectors.overdue_reviews(brm, NOW))  # reads the role once
    for grace in (None, 0, 2, 7):
        if grace is not None:
            ReviewSettings.objects.update_or_create(pk=1, defaults={"overdue_grace_days": grace})
        stored = ReviewSettings.get().overdue_grace_days if grace is not None else 1
        expected = list(ServiceReview.objects.overdue(NOW, stored).order_by("pk"))
        with django_assert_num_queries(1):  # the list, the settings read inside it
            assert list(selectors.overdue_reviews(brm, NOW).order_by("pk")) == expected
        assert [r for r in reviews if r.is_overdue(NOW, stored)] == expected
