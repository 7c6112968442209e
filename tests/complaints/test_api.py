"""The API: the same scope and workflow as the pages, DRF's error shapes, no 500s."""

from __future__ import annotations

import pytest

from complaints.models import Complaint, Feedback
from tests.factories import ComplaintFactory, ServiceFactory

URL = "/api/v1/complaints/"


def _body(**extra):
    return {"title": "VPN drops", "description": "Every hour.", "severity": "high", **extra}


def test_a_leader_files_for_their_own_unit(as_user, leader, unit_a):
    response = as_user(leader).post(URL, _body())
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["unit"] == unit_a.pk and data["status"] == "received"
    assert data["reference"].startswith("C-") and data["acknowledge_by"]


def test_a_brm_files_for_a_unit_they_manage_only(as_user, brm, unit_a, unit_b):
    api = as_user(brm)
    assert api.post(URL, _body(unit=unit_a.pk)).status_code == 201
    assert api.post(URL, _body(unit=unit_b.pk)).status_code == 403
    assert api.post(URL, _body()).status_code == 400


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"service": 999999}, "service"),
        ({"unit": 999999}, "unit"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(as_user, leader, unit_a, extra, field):
    response = as_user(leader).post(URL, _body(**extra))
    assert response.status_code == 400
    assert field in response.json()
    assert not Complaint.objects.exists()


def test_another_units_id_is_refused_without_confirming_it(as_user, leader, unit_b):
    response = as_user(leader).post(URL, _body(unit=unit_b.pk))
    assert response.status_code == 400
    unknown = as_user(leader).post(URL, _body(unit=99999)).json()["unit"]
    assert response.json()["unit"][0].replace(str(unit_b.pk), "?") == unknown[0].replace(
        "99999", "?"
    )


def test_a_service_the_leader_cannot_see_is_unknown(as_user, leader, unit_b):
    hidden = ServiceFactory.create(consumers=[unit_b])
    assert as_user(leader).post(URL, _body(service=hidden.pk)).status_code == 400


def test_a_leader_cannot_see_another_units_complaint_by_id(as_user, leader, unit_b):
    other = ComplaintFactory.create(unit=unit_b)
    api = as_user(leader)
    assert api.get(f"{URL}{other.pk}/").status_code == 404
    assert api.get(f"{URL}{other.pk}/events/").status_code == 404
    body = {"to": "withdrawn", "comment": "x"}
    assert api.post(f"{URL}{other.pk}/transition/", body).status_code == 404
    assert api.get(URL).json()["count"] == 0


def test_transitions_follow_the_workflow(as_user, complaint, brm, leader):
    url = f"{URL}{complaint.pk}/transition/"
    response = as_user(brm).post(url, {"to": "acknowledged", "comment": "Seen."})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    refused = as_user(leader).post(url, {"to": "resolved", "comment": "Done?"})
    assert refused.status_code == 403 and "detail" in refused.json()  # a role, not a state
    assert as_user(brm).post(url, {"to": "closed", "comment": "x"}).status_code == 409
    assert as_user(brm).post(url, {"to": "resolved", "comment": ""}).status_code == 400
    assert as_user(brm).post(url, {"to": "nowhere", "comment": "x"}).status_code == 400


def test_comments_and_the_timeline(as_user, complaint, executive):
    api = as_user(executive)
    response = api.post(f"{URL}{complaint.pk}/comments/", {"comment": "Keep me posted."})
    assert response.status_code == 201
    events = api.get(f"{URL}{complaint.pk}/events/").json()
    assert events["count"] == 2  # paginated like every list
    assert [e["kind"] for e in events["results"]] == ["filed", "comment"]
    # A comment changes no status: null, never "" (which is outside the status enum).
    assert events["results"][1]["from_status"] is None
    assert events["results"][1]["to_status"] is None
    assert api.post(f"{URL}{complaint.pk}/comments/", {"comment": ""}).status_code == 400


def test_rating_once_in_range(as_user, complaint, brm, leader):
    api = as_user(brm)
    api.post(f"{URL}{complaint.pk}/transition/", {"to": "acknowledged", "comment": "a"})
    api.post(f"{URL}{complaint.pk}/transition/", {"to": "resolved", "comment": "b"})
    rate = f"{URL}{complaint.pk}/rate/"
    assert as_user(leader).post(rate, {"rating": 6}).status_code == 400
    assert as_user(leader).post(rate, {"rating": 0}).status_code == 400
    assert as_user(leader).post(rate, {"rating": 3}).json()["resolution_rating"] == 3
    assert as_user(leader).post(rate, {"rating": 4}).status_code == 409
    assert as_user(brm).post(rate, {"rating": 4}).status_code == 403  # only the complainant


def test_follow_up_through_the_api(as_user, complaint, brm):
    api = as_user(brm)
    body = {"kind": "demand", "reference": "D-7"}
    assert api.post(f"{URL}{complaint.pk}/follow-up/", body).json()["follow_up_reference"] == "D-7"
    done = api.post(f"{URL}{complaint.pk}/follow-up-done/", {"outcome": "Delivered."})
    assert done.json()["follow_up_done_at"]


def test_roles_without_filing_rights(as_user, executive, no_role_user, api):
    assert as_user(executive).post(URL, _body()).status_code == 403
    assert as_user(no_role_user).get(URL).status_code == 403
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    as_user, brm, unit_a, rows, django_assert_num_queries
):
    for _ in range(rows):
        ComplaintFactory.create(unit=unit_a)
    api = as_user(brm)
    # 1 token with its user and role (issue 14), 2 COUNT, 3 the page of complaints.
    # (The token's last-used stamp is written at most once a minute, so not on this call.)
    api.get(URL)
    with django_assert_num_queries(3):
        response = api.get(URL)
    assert response.json()["count"] == rows


def test_feedback_through_the_api(as_user, leader, brm, unit_a, unit_b):
    api = as_user(leader)
    response = api.post("/api/v1/feedback/", {"about_person": brm.pk, "message": "Thanks!"})
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == unit_a.pk
    assert api.post("/api/v1/feedback/", {"message": "Thanks!"}).status_code == 400
    other = api.post("/api/v1/feedback/", {"about_team": "Desk", "message": "x", "unit": unit_b.pk})
    assert other.status_code == 400
    assert Feedback.objects.count() == 1
    assert api.get("/api/v1/feedback/").json()["count"] == 1
