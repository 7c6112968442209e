from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from reviews import services
from reviews.models import ChangeRequest, ReviewStatus, ServiceReview
from tests.factories import ServiceReviewFactory
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/reviews/"


@pytest.fixture
def review(unit_a, brm):
    return services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=7))


@pytest.fixture
def held(unit_a, brm):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        review = services.plan_review(unit_a, actor=brm, scheduled_at=NOW - timedelta(hours=2))
    return services.hold_review(review, actor=brm, minutes="Agreed next steps")[0]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("brm", 200),
        ("admin_user", 200),
        ("executive", 200),
        ("integration", 200),
        ("other_brm", 200),
        ("leader", 200),
        ("leader_b", 404),
        ("no_role_user", 403),
    ],
)
def test_it_scopes_reading_a_review(request, as_user, review, persona, expected):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(f"{URL}{review.pk}/").status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("brm", 200),
        ("admin_user", 200),
        ("other_brm", 403),
        ("executive", 403),
        ("leader", 403),
        # A leader's role may not write through the API at all: 403 for any id, confirming nothing.
        ("leader_b", 403),
    ],
)
def test_it_scopes_changing_a_review(request, as_user, review, persona, expected):
    user = request.getfixturevalue(persona)
    response = as_user(user).patch(f"{URL}{review.pk}/", {"agenda": "New"}, format="json")
    assert response.status_code == expected


def test_it_plans_a_review_through_the_api(as_user, brm, unit_a, cfo, email_service):
    response = as_user(brm).post(
        URL,
        {
            "unit": unit_a.pk,
            "scheduled_at": (NOW + timedelta(days=14)).isoformat(),
            "attendees": [cfo.pk],
            "agenda": "Quarterly",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "planned"
    assert body["services"] == [email_service.pk]
    assert body["planned_by"] == brm.pk


def test_it_refuses_planning_a_review_in_the_past(as_user, brm, unit_a):
    response = as_user(brm).post(
        URL,
        {"unit": unit_a.pk, "scheduled_at": (NOW - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "scheduled_at" in response.json()
    assert not ServiceReview.objects.exists()


def test_it_refuses_planning_for_a_unit_the_brm_only_reads(as_user, brm, unit_b):
    response = as_user(brm).post(
        URL, {"unit": unit_b.pk, "scheduled_at": (NOW + timedelta(days=3)).isoformat()}
    )
    assert response.status_code == 403


def test_it_refuses_a_business_leader_editing_a_held_review(as_user, leader, held):
    response = as_user(leader).patch(f"{URL}{held.pk}/", {"minutes": "Rewritten"}, format="json")
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.minutes == "Agreed next steps"


def test_it_answers_409_when_rescheduling_a_held_review(as_user, brm, held):
    response = as_user(brm).patch(
        f"{URL}{held.pk}/", {"scheduled_at": (NOW + timedelta(days=3)).isoformat()}, format="json"
    )
    assert response.status_code == 409


def test_it_holds_a_review_and_answers_409_the_second_time(as_user, brm, unit_a):
    review = ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(hours=1))
    client = as_user(brm)
    first = client.post(f"{URL}{review.pk}/hold/", {"minutes": "Done"}, format="json")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "held"
    assert first.json()["performance_pack"]["unit_id"] == unit_a.pk
    assert client.post(f"{URL}{review.pk}/hold/", {}, format="json").status_code == 409
    assert ServiceReview.objects.filter(unit=unit_a, status=ReviewStatus.PLANNED).count() == 1


def test_it_serves_the_invitation_as_ics(as_user, leader, review):
    response = as_user(leader).get(f"{URL}{review.pk}/ics/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:review-{review.pk}@localhost" in body


def test_it_raises_and_decides_change_requests(as_user, brm, leader, held):
    client = as_user(brm)
    created = client.post(
        "/api/v1/change-requests/",
        {"review": held.pk, "kind": "contract", "title": "Extend support hours"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    change_id = created.json()["id"]
    decide = f"/api/v1/change-requests/{change_id}/decide/"
    assert client.post(decide, {"status": "accepted"}, format="json").status_code == 200
    assert client.post(decide, {"status": "accepted"}, format="json").status_code == 409
    assert as_user(leader).post(decide, {"status": "rejected"}, format="json").status_code == 403
    assert ChangeRequest.objects.get().status == "accepted"


def test_it_hides_another_units_review_from_a_change_request(as_user, other_brm, held):
    response = as_user(other_brm).post(
        "/api/v1/change-requests/", {"review": held.pk, "title": "Sneaky"}, format="json"
    )
    assert response.status_code == 403
    assert not ChangeRequest.objects.exists()


def test_it_filters_reviews_by_view(as_user, brm, unit_a, review, held):
    client = as_user(brm)
    upcoming = client.get(URL, {"view": "upcoming"}).json()["results"]
    assert review.pk in [r["id"] for r in upcoming]
    assert held.pk not in [r["id"] for r in upcoming]
    assert [r["id"] for r in client.get(URL, {"view": "held"}).json()["results"]] == [held.pk]
    assert client.get(URL, {"period": "x", "unit": 999999}).status_code == 400


def test_it_lists_reviews_in_a_fixed_number_of_queries(
    as_user, brm, unit_a, django_assert_num_queries
):
    client = as_user(brm)
    client.get(URL)

    def make(n):
        for i in range(n):
            ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW + timedelta(days=i + 1))

    # token (with the role), count, page of reviews, services, attendees, IT attendees, commitments
    make(5)
    with django_assert_num_queries(7):
        assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 5
    make(45)
    with django_assert_num_queries(7):
        assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 50


def test_it_keeps_the_period_of_a_review_ordered(as_user, brm, review):
    response = as_user(brm).patch(
        f"{URL}{review.pk}/",
        {"period_start": date(2026, 10, 1).isoformat(), "period_end": "2026-09-01"},
        format="json",
    )
    assert response.status_code == 400
