"""Who may plan and run service reviews is decided in `reviews.services` itself.

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403), never a `StateConflict` (409), and writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from brm.core.errors import ForbiddenAction, InputError
from reviews import permissions, services
from reviews.models import ChangeRequest, ChangeStatus, ReviewStatus, ServiceReview
from stakeholders.models import ActionItem
from tests.factories import ServiceFactory, ServiceMetricFactory, ServiceReviewFactory
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


# --- Scope of writes: a review names only services its unit consumes (issue 12) ----------------


@pytest.fixture
def own_service(unit_a):
    return ServiceFactory.create(name="Ledger", consumers=[unit_a])


@pytest.fixture
def foreign_service(unit_b):
    """A service only the other unit consumes, with figures of its own."""
    service = ServiceFactory.create(name="Fleet tracking", consumers=[unit_b])
    ServiceMetricFactory.create(
        service=service,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        availability=Decimal("97.125"),
    )
    return service


@pytest.mark.parametrize("persona", WRITERS)
def test_no_writer_plans_a_review_of_another_units_service(
    request, persona, unit_a, own_service, foreign_service
) -> None:
    actor = _actor(request, persona)

    with pytest.raises(InputError) as refused:
        services.plan_review(
            unit_a,
            actor=actor,
            scheduled_at=NOW + timedelta(days=5),
            services=[own_service, foreign_service],
        )

    assert refused.value.field == "services"
    assert "Fleet tracking" in refused.value.message
    assert not ServiceReview.objects.exists()
    review = services.plan_review(
        unit_a, actor=actor, scheduled_at=NOW + timedelta(days=5), services=[own_service]
    )
    assert list(review.services.all()) == [own_service]


def test_a_review_change_may_not_add_another_units_service(
    brm, review, own_service, foreign_service
) -> None:
    review.services.set([own_service])

    with pytest.raises(InputError):
        services.update_review(
            review, actor=brm, fields={}, services=[own_service, foreign_service]
        )

    assert list(review.services.all()) == [own_service]


def test_a_service_already_covered_may_stay_when_the_unit_stops_consuming_it(
    brm, review, own_service, unit_a
) -> None:
    review.services.set([own_service])
    own_service.consumers.remove(unit_a)

    services.update_review(review, actor=brm, fields={"agenda": "Moved on"}, services=[own_service])

    assert ServiceReview.objects.get(pk=review.pk).agenda == "Moved on"


@pytest.mark.parametrize("persona", WRITERS)
def test_no_writer_raises_a_change_request_about_another_units_service(
    request, persona, review, own_service, foreign_service
) -> None:
    actor = _actor(request, persona)

    with pytest.raises(InputError) as refused:
        services.raise_change_request(review, actor=actor, title="More", service=foreign_service)

    assert refused.value.field == "service"
    assert not ChangeRequest.objects.exists()
    change = services.raise_change_request(review, actor=actor, title="More", service=own_service)
    with pytest.raises(InputError):
        services.update_change_request(change, actor=actor, fields={"service": foreign_service})
    assert ChangeRequest.objects.get().service == own_service


def test_the_api_answers_400_on_the_field_for_another_units_service(
    as_user, brm, unit_a, review, own_service, foreign_service
) -> None:
    client = as_user(brm)
    when = (NOW + timedelta(days=5)).isoformat()

    planned = client.post(
        "/api/v1/reviews/",
        {"unit": unit_a.pk, "scheduled_at": when, "services": [foreign_service.pk]},
        format="json",
    )
    raised = client.post(
        "/api/v1/change-requests/",
        {"review": review.pk, "title": "More", "service": foreign_service.pk},
        format="json",
    )

    assert planned.status_code == 400 and "services" in planned.json()
    assert raised.status_code == 400 and "service" in raised.json()
    assert ServiceReview.objects.count() == 1 and not ChangeRequest.objects.exists()


def test_the_review_form_offers_and_accepts_only_the_units_services(
    client, brm, unit_a, own_service, foreign_service
) -> None:
    client.force_login(brm)

    page = client.get(f"/reviews/new/?unit={unit_a.pk}").content.decode()
    response = client.post(
        f"/reviews/new/?unit={unit_a.pk}",
        {
            "scheduled_at": "2026-12-01T10:00",
            "duration_minutes": 60,
            "services": [foreign_service.pk],
        },
    )

    assert "Ledger" in page and "Fleet tracking" not in page
    assert response.status_code == 200  # the form again, with the error on the field
    assert response.context["form"].errors["services"]
    assert not ServiceReview.objects.exists()


def test_the_change_request_form_offers_only_the_units_services(
    client, brm, review, own_service, foreign_service
) -> None:
    client.force_login(brm)

    page = client.get(f"/reviews/{review.pk}/").content.decode()
    client.post(
        f"/reviews/{review.pk}/changes/", {"kind": "scope", "title": "X", "service": own_service.pk}
    )
    client.post(
        f"/reviews/{review.pk}/changes/",
        {"kind": "scope", "title": "Y", "service": foreign_service.pk},
    )

    assert 'id="id_service"' in page and "Fleet tracking" not in page
    assert list(ChangeRequest.objects.values_list("title", flat=True)) == ["X"]


# --- Reads: nobody reads figures of a service they cannot see ---------------------------------


@pytest.fixture
def mixed_held_review(brm, unit_a, own_service, foreign_service):
    """A review held before the rule, covering another unit's service: its pack has both."""
    ServiceMetricFactory.create(
        service=own_service,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        availability=Decimal("99.875"),
    )
    review = ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(hours=1))
    review.services.set([own_service, foreign_service])  # as stored before the rule
    services.hold_review(review, actor=brm)
    return ServiceReview.objects.get(pk=review.pk)


def test_a_leader_reads_no_figures_of_another_units_service(
    client, as_user, leader, brm, mixed_held_review
) -> None:
    names = [r["name"] for r in mixed_held_review.performance_pack["services"]]
    assert names == ["Fleet tracking", "Ledger"]  # stored whole, for IT

    client.force_login(leader)
    page = client.get(f"/reviews/{mixed_held_review.pk}/").content.decode()
    body = as_user(leader).get(f"/api/v1/reviews/{mixed_held_review.pk}/").json()
    rows = as_user(leader).get("/api/v1/reviews/").json()["results"]
    listed = next(r for r in rows if r["id"] == mixed_held_review.pk)

    assert "Ledger" in page and "99.875" in page
    assert "Fleet tracking" not in page and "97.125" not in page
    assert [r["name"] for r in body["performance_pack"]["services"]] == ["Ledger"]
    assert body["services"] == [mixed_held_review.services.get(name="Ledger").pk]
    assert [r["name"] for r in listed["performance_pack"]["services"]] == ["Ledger"]


def test_it_staff_still_read_the_whole_pack(client, as_user, brm, executive, mixed_held_review):
    client.force_login(executive)
    page = client.get(f"/reviews/{mixed_held_review.pk}/").content.decode()
    body = as_user(brm).get(f"/api/v1/reviews/{mixed_held_review.pk}/").json()

    assert "Fleet tracking" in page and "97.125" in page
    assert len(body["performance_pack"]["services"]) == 2
