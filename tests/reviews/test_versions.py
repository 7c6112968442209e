"""Lost updates in service reviews (#12): the review's edit page and its minutes form refuse a
form opened before someone else's save; reviews and change requests carry ETag / If-Match."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from reviews import services
from reviews.models import ChangeRequest, ReviewStatus
from tests.reviews.conftest import NOW
from tests.versions import (
    STALE_MESSAGE,
    assert_etag_and_if_match,
    assert_stale_edit_refused_then_reapplied,
    edit_form,
    stored,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def review(unit_a, brm):
    return services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=7))


def test_the_review_edit_page_refuses_a_stale_form(client, brm, review):
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        f"/reviews/{review.pk}/edit/",
        review,
        field="location",
        yours="Room 4",
        theirs="Teams",
    )


def test_the_minutes_form_refuses_a_stale_form(client, brm, review):
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        f"/reviews/{review.pk}/",
        review,
        field="minutes",
        yours="We agreed to move the release.",
        theirs="Agreed: no change.",
        post_url=f"/reviews/{review.pk}/minutes/",
    )


def test_reviews_and_change_requests_have_etag_and_if_match(as_user, brm, unit_a, review):
    api = as_user(brm)
    assert_etag_and_if_match(api, f"/api/v1/reviews/{review.pk}/", review)
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        held = services.hold_review(review, actor=brm, minutes="Agreed")[0]
        created = api.post(
            "/api/v1/change-requests/",
            {"review": held.pk, "kind": "contract", "title": "Extend support hours"},
            format="json",
        )
        assert created.status_code == 201, created.content
        change = ChangeRequest.objects.get(pk=created.json()["id"])
        assert_etag_and_if_match(api, f"/api/v1/change-requests/{change.pk}/", change)


def test_marking_held_with_stale_minutes_holds_nothing(client, brm, review):
    client.force_login(brm)
    data = edit_form(client.get(f"/reviews/{review.pk}/").content.decode())
    other = stored(review)
    other.minutes = "Agreed: no change."
    other.save()
    data["minutes"] = ["We agreed to move the release."]

    response = client.post(f"/reviews/{review.pk}/hold/", data)

    assert response.status_code == 400
    assert STALE_MESSAGE in response.content.decode()
    now = stored(review)
    assert (now.status, now.minutes) == (ReviewStatus.PLANNED, "Agreed: no change.")
