"""Who may plan and run service reviews is decided in `reviews.services` itself.

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403), never a `StateConflict` (409), and writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from brm.core.errors import ForbiddenAction
from reviews import permissions, services
from reviews.models import ChangeRequest, ChangeStatus, ReviewStatus, ServiceReview
from stakeholders.models import ActionItem
from tests.factories import ServiceReviewFactory
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

WRITERS = ["brm", "admin_user", "integration"]
READERS = ["other_brm", "executive", "leader", "no_role_user"]


@pytest.fixture
def review(unit_a):
    return ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW + timedelta(hours=1))


def _actor(request, persona):
    return request.getfixturevalue(persona)


@pytest.mark.parametrize("persona", WRITERS)
def test_it_lets_the_units_writers_plan_a_review(request, persona, unit_a) -> None:
    actor = _actor(request, persona)

    services.plan_review(unit_a, actor=actor, scheduled_at=NOW + timedelta(days=5))

    assert ServiceReview.objects.filter(unit=unit_a).count() == 1
    assert permissions.may_plan_review(actor, unit_a)


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_planning_to_read_only_roles(request, persona, unit_a) -> None:
    actor = _actor(request, persona)

    with pytest.raises(ForbiddenAction):
        services.plan_review(unit_a, actor=actor, scheduled_at=NOW + timedelta(days=5))

    assert not ServiceReview.objects.exists()
    assert not permissions.may_plan_review(actor, unit_a)


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_rescheduling_to_read_only_roles(request, persona, review) -> None:
    actor = _actor(request, persona)
    before = review.scheduled_at

    with pytest.raises(ForbiddenAction):
        services.update_review(
            review, actor=actor, fields={"scheduled_at": NOW + timedelta(days=9)}
        )

    assert ServiceReview.objects.get(pk=review.pk).scheduled_at == before


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_holding_or_cancelling_to_read_only_roles(request, persona, review) -> None:
    actor = _actor(request, persona)

    with pytest.raises(ForbiddenAction):
        services.hold_review(review, actor=actor, minutes="We met.")
    with pytest.raises(ForbiddenAction):
        services.cancel_review(review, actor=actor)

    fresh = ServiceReview.objects.get(pk=review.pk)
    assert (fresh.status, fresh.minutes) == (ReviewStatus.PLANNED, "")
    assert ServiceReview.objects.count() == 1  # no follow-up review planned either


@pytest.mark.parametrize("persona", WRITERS)
def test_it_lets_the_units_writers_hold_a_review(request, persona, review) -> None:
    held, _ = services.hold_review(review, actor=_actor(request, persona))

    assert held.status == ReviewStatus.HELD


def test_a_role_refusal_comes_before_the_state_check(other_brm, review) -> None:
    # A cancelled review would be a 409 for its BRM; for someone who may not act it is a 403.
    services.cancel_review(review, actor=None)

    with pytest.raises(ForbiddenAction):
        services.cancel_review(review, actor=other_brm)


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_change_requests_to_read_only_roles(request, persona, brm, review) -> None:
    actor = _actor(request, persona)
    existing = services.raise_change_request(review, actor=brm, title="More storage")

    with pytest.raises(ForbiddenAction):
        services.raise_change_request(review, actor=actor, title="Less storage")
    with pytest.raises(ForbiddenAction):
        services.decide_change_request(existing, actor=actor, status=ChangeStatus.ACCEPTED)
    with pytest.raises(ForbiddenAction):
        services.update_change_request(existing, actor=actor, fields={"title": "Changed"})

    assert list(ChangeRequest.objects.values_list("title", "status")) == [
        ("More storage", ChangeStatus.RAISED)
    ]


def test_it_lets_the_units_brm_decide_a_change(brm, review) -> None:
    change = services.raise_change_request(review, actor=brm, title="More storage")

    services.decide_change_request(change, actor=brm, status=ChangeStatus.ACCEPTED)

    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.ACCEPTED


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_review_commitments_to_read_only_roles(request, persona, review) -> None:
    actor = _actor(request, persona)
    spec = services.CommitmentSpec(title="Send the SLA report", due_date=date(2026, 12, 15))

    with pytest.raises(ForbiddenAction):
        services.add_commitment(review, spec, actor=actor)

    assert not ActionItem.objects.exists()
    assert not review.action_items.exists()


def test_the_api_answers_403_to_another_brm_cancelling(as_user, other_brm, review) -> None:
    response = as_user(other_brm).post(f"/api/v1/reviews/{review.pk}/cancel/")

    assert response.status_code == 403
    assert ServiceReview.objects.get(pk=review.pk).status == ReviewStatus.PLANNED
