from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from reviews import services
from reviews.models import ReviewStatus, ServiceReview
from stakeholders.models import OwnerSide
from tests.factories import StakeholderFactory
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_it_refuses_to_plan_a_review_in_the_past(unit_a, brm):
    with pytest.raises(ValidationError) as exc:
        services.plan_review(unit_a, actor=brm, scheduled_at=NOW - timedelta(hours=1))
    assert "scheduled_at" in exc.value.message_dict
    assert not ServiceReview.objects.exists()


def test_it_plans_a_review_with_the_units_live_services_and_a_cadence_long_period(
    unit_a, brm, email_service
):
    review = services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=5))
    assert list(review.services.all()) == [email_service]
    assert review.period_end == date(2026, 11, 28)
    assert (review.period_end - review.period_start).days == unit_a.review_cadence_days - 1
    assert list(review.it_attendees.all()) == [brm]


def test_it_refuses_attendees_from_another_unit(unit_a, unit_b, brm):
    stranger = StakeholderFactory.create(unit=unit_b)
    with pytest.raises(ValidationError):
        services.plan_review(
            unit_a, actor=brm, scheduled_at=NOW + timedelta(days=5), attendees=[stranger]
        )
    assert not ServiceReview.objects.exists()


def _planned(unit, brm, **kwargs):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        return services.plan_review(
            unit,
            actor=brm,
            scheduled_at=NOW - timedelta(hours=1),
            period_start=date(2026, 8, 1),
            period_end=date(2026, 10, 31),
            **kwargs,
        )


def test_it_freezes_the_pack_and_plans_the_next_review_when_held(unit_a, brm, email_service):
    review = _planned(unit_a, brm)
    held, following = services.hold_review(review, actor=brm, minutes="All fine.")
    assert held.status == ReviewStatus.HELD
    assert held.held_at == NOW
    row = held.performance_pack["services"][0]  # type: ignore[index]  # held: pack set
    assert (row["periods"], row["availability_avg"], row["incidents"]) == (2, 99.5, 7)
    assert following is not None
    assert following.status == ReviewStatus.PLANNED
    assert following.scheduled_at == review.scheduled_at + timedelta(days=90)
    assert following.period_start == date(2026, 11, 1)
    assert list(following.services.all()) == [email_service]


def test_it_keeps_the_frozen_pack_when_figures_change_later(unit_a, brm, email_service):
    review = _planned(unit_a, brm)
    held, _ = services.hold_review(review, actor=brm)
    email_service.metrics.update(availability=50)
    held.refresh_from_db()
    assert held.performance_pack["services"][0]["availability_avg"] == 99.5  # type: ignore[index]


def test_it_refuses_to_hold_a_review_twice(unit_a, brm):
    review = _planned(unit_a, brm)
    services.hold_review(review, actor=brm)
    with pytest.raises(services.StateConflict):
        services.hold_review(review, actor=brm)
    assert ServiceReview.objects.filter(status=ReviewStatus.PLANNED).count() == 1


def test_it_allows_only_minutes_and_outcome_to_change_once_held(unit_a, brm):
    review, _ = services.hold_review(_planned(unit_a, brm), actor=brm)
    services.update_review(review, actor=brm, fields={"minutes": "Corrected"})
    with pytest.raises(services.StateConflict):
        services.update_review(review, actor=brm, fields={"scheduled_at": NOW + timedelta(days=3)})


def test_it_moves_a_decided_change_only_forward(unit_a, brm):
    review = _planned(unit_a, brm)
    change = services.raise_change_request(review, actor=brm, title="Add Saturday support")
    services.decide_change_request(change, actor=brm, status="accepted", decision="Agreed")
    services.decide_change_request(change, actor=brm, status="implemented")
    with pytest.raises(services.StateConflict):
        services.decide_change_request(change, actor=brm, status="rejected")


def test_it_records_commitments_for_both_sides(unit_a, brm, cfo):
    review = _planned(unit_a, brm)
    due = date(2026, 12, 15)
    services.add_commitment(review, services.CommitmentSpec("Send the plan", due), actor=brm)
    services.add_commitment(
        review,
        services.CommitmentSpec(
            "Confirm volumes", due, owner_side=OwnerSide.BUSINESS, owner_stakeholder=cfo
        ),
        actor=brm,
    )
    items = review.action_items.order_by("owner_side")
    assert [(i.owner_side, i.owner_id, i.owner_stakeholder_id) for i in items] == [
        ("business", None, cfo.pk),
        ("it", brm.pk, None),
    ]
