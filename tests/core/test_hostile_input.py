"""Hostile input is refused with a 400, never a 500 (issue 12), each kind for every endpoint.

The write operations come from the published schema (every POST, PUT and PATCH), with path ids
pointing at real records, so a new endpoint is covered without editing this file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from brm.core.api_input import json_depth_exceeds
from reviews.forms import ReviewForm
from satisfaction.services import MAX_QUESTIONS
from stakeholders.forms import StakeholderForm
from stakeholders.models import BusinessUnit, Stakeholder
from tests.api_records import api_records
from tests.conftest import token_client
from tests.factories import UserFactory


def write_operations() -> list[tuple[str, str]]:
    """(method, path template) of every write operation the schema publishes."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"post", "put", "patch"}
    )


WRITES = write_operations()


@pytest.fixture
def records(db) -> dict[str, int]:
    return api_records()


@pytest.fixture
def admin_api(records) -> APIClient:
    return token_client(UserFactory._meta.model.objects.get(pk=records["admin"]))


def concrete(path: str, ids: dict[str, int]) -> str:
    collection = path.split("/")[3]
    return re.sub(r"\{[^}]+\}", str(ids.get(collection, 1)), path)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- 1. Deeply nested JSON, and bodies that are not JSON ---------------------------------------


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    assert not json_depth_exceeds('{"a": "[[[[[[[[[[[["}', 3)
    assert json_depth_exceeds(nested(5), 4)
    assert not json_depth_exceeds(nested(4), 4)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_write_refuses_json_nested_10000_levels_deep(
    method: str, path: str, admin_api: APIClient, records: dict[str, int]
) -> None:
    body = '{"name": ' + nested(10_000) + "}"
    response = admin_api.generic(
        method, concrete(path, records), body, content_type="application/json"
    )
    # 400 when the view reads the body; an action refused before it reads the body (403/404/409)
    # never reaches the parser. Never a 500.
    assert response.status_code < 500
    if response.status_code == 400:
        assert "nested" in str(response.json())


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_write_answers_form_and_multipart_bodies_without_a_server_error(
    method: str, path: str, admin_api: APIClient, records: dict[str, int]
) -> None:
    url = concrete(path, records)
    fields = {"name": "x" * 300, "questions": "[[[", "unit": "1.5", "metrics": "{"}
    form = admin_api.generic(
        method,
        url,
        "&".join(f"{k}={v}" for k, v in fields.items()),
        content_type="application/x-www-form-urlencoded",
    )
    multipart = admin_api.generic(
        method, url, "--x\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert form.status_code < 500
    assert multipart.status_code < 500


def test_a_body_nested_within_the_bound_is_read_normally(admin_api: APIClient, records) -> None:
    response = admin_api.post(
        "/api/v1/objectives/", {"name": "Grow", "description": "[[[[ ]]]]"}, format="json"
    )
    assert response.status_code == 201, response.json()


# --- 2. Blank optional unique identifiers are NULL ---------------------------------------------


def test_two_stakeholders_without_external_id_through_the_api(admin_api, records) -> None:
    for name in ("First", "Second"):
        response = admin_api.post(
            "/api/v1/stakeholders/",
            {"unit": records["units"], "name": name, "external_id": ""},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["external_id"] is None
    assert Stakeholder.objects.filter(external_id__isnull=True).count() >= 2
    assert not Stakeholder.objects.filter(external_id="").exists()


def test_a_duplicate_external_id_is_still_refused(admin_api, records) -> None:
    payload = {"unit": records["units"], "name": "Twin", "external_id": "HR-7"}
    assert admin_api.post("/api/v1/stakeholders/", payload, format="json").status_code == 201
    again = admin_api.post("/api/v1/stakeholders/", payload, format="json")
    assert again.status_code == 400
    assert "external_id" in again.json()


def test_blank_external_id_is_null_from_forms_and_the_orm(records) -> None:
    unit = BusinessUnit.objects.get(pk=records["units"])
    for name in ("Form one", "Form two"):
        form = StakeholderForm(
            data={
                "name": name,
                "unit": unit.pk,
                "role_type": "customer",
                "influence": 3,
                "interest": 3,
                "preferred_channel": "email",
                "external_id": "  ",
            },
            user=UserFactory._meta.model.objects.get(pk=records["admin"]),
        )
        assert form.is_valid(), form.errors
        form.save()
    orm = Stakeholder.objects.create(unit=unit, name="Import", external_id="")
    orm.refresh_from_db()
    assert orm.external_id is None
    Stakeholder.objects.filter(pk=orm.pk).update(external_id="")
    assert not Stakeholder.objects.filter(external_id="").exists()


# --- 3. Rules the database enforces are checked first, with a per-field 400 --------------------


def test_a_review_starting_after_its_default_end_is_a_400_on_the_field(admin_api, records) -> None:
    when = timezone.now() + timedelta(days=10)
    response = admin_api.post(
        "/api/v1/reviews/",
        {
            "unit": records["units"],
            "scheduled_at": when.isoformat(),
            "period_start": (when + timedelta(days=30)).date().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "period_start" in response.json()


def test_a_patch_that_breaks_a_check_constraint_is_a_400_on_the_field(admin_api, records) -> None:
    response = admin_api.patch(
        f"/api/v1/benefit-records/{records['benefit-records']}/",
        {"period_end": "1990-01-01"},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "period_end" in response.json()


# --- 4. Forms run the same validation as the API -----------------------------------------------


@pytest.mark.parametrize("minutes", [5, 10_000, 40_000])
def test_the_review_form_and_the_api_refuse_the_same_durations(
    minutes: int, admin_api, records
) -> None:
    unit = BusinessUnit.objects.get(pk=records["units"])
    when = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    form = ReviewForm(data={"scheduled_at": when, "duration_minutes": minutes}, unit=unit)
    assert not form.is_valid()
    assert "duration_minutes" in form.errors
    response = admin_api.patch(
        f"/api/v1/reviews/{records['reviews']}/", {"duration_minutes": minutes}, format="json"
    )
    assert response.status_code == 400
    assert "duration_minutes" in response.json()


def test_the_review_form_accepts_a_sensible_duration(records) -> None:
    unit = BusinessUnit.objects.get(pk=records["units"])
    when = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    form = ReviewForm(data={"scheduled_at": when, "duration_minutes": 90}, unit=unit)
    assert form.is_valid(), form.errors


# --- 5. Bounds: dates, ids, list lengths -------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_dates_outside_the_range_are_refused(day: str, admin_api, records) -> None:
    response = admin_api.patch(
        f"/api/v1/action-items/{records['action-items']}/", {"due_date": day}, format="json"
    )
    assert response.status_code == 400
    assert "due_date" in response.json()


def test_a_date_inside_the_range_is_accepted(admin_api, records) -> None:
    response = admin_api.patch(
        f"/api/v1/action-items/{records['action-items']}/",
        {"due_date": (timezone.localdate() + timedelta(days=30)).isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "query",
    [
        "occurred_after=0132-02-17T12:18:43%2B17:11",
        "occurred_after=3286-01-25T11:46:02%2B22:55",
        "occurred_before=2026-01-01T00:00:00%2B15:30",
    ],
)
def test_date_filters_out_of_range_are_a_400(query: str, admin_api, records) -> None:
    assert admin_api.get(f"/api/v1/interactions/?{query}").status_code == 400


def test_date_forms_refuse_years_outside_the_range(records) -> None:
    unit = BusinessUnit.objects.get(pk=records["units"])
    form = ReviewForm(data={"scheduled_at": "9999-01-01T10:00", "duration_minutes": 60}, unit=unit)
    assert not form.is_valid()
    assert "scheduled_at" in form.errors


@pytest.mark.parametrize("unit", [1.5, "1.0", True, "1e0", " "])
def test_a_foreign_key_id_must_be_a_whole_number(unit: Any, admin_api, records) -> None:
    value = records["units"] + 0.5 if unit == 1.5 else unit
    response = admin_api.post(
        "/api/v1/stakeholders/", {"unit": value, "name": "Fraction"}, format="json"
    )
    assert response.status_code == 400
    assert "unit" in response.json()
    assert not Stakeholder.objects.filter(name="Fraction").exists()


def test_a_foreign_key_id_as_a_number_or_a_digit_string_works(admin_api, records) -> None:
    for value in (records["units"], str(records["units"])):
        response = admin_api.post(
            "/api/v1/stakeholders/", {"unit": value, "name": f"Id {value!r}"}, format="json"
        )
        assert response.status_code == 201, response.json()


def test_a_survey_template_with_too_many_questions_is_refused(admin_api, records) -> None:
    question = {"kind": "free_text", "text": "Why?", "required": False}
    body = {
        "name": "Endless",
        "questions": [{**question, "position": i} for i in range(MAX_QUESTIONS + 1)],
    }
    response = admin_api.post("/api/v1/survey-templates/", body, format="json")
    assert response.status_code == 400
    assert "questions" in response.json()
    body["questions"] = body["questions"][:MAX_QUESTIONS]
    assert admin_api.post("/api/v1/survey-templates/", body, format="json").status_code == 201


def test_a_page_size_above_the_cap_is_served_capped(admin_api, records) -> None:
    response = admin_api.get("/api/v1/units/?page_size=100000")
    assert response.status_code == 200


def test_the_pages_date_filters_take_the_same_range(client, records) -> None:
    client.force_login(UserFactory._meta.model.objects.get(pk=records["admin"]))
    response = client.get("/reviews/?scheduled_after=0132-02-17T12:18:43%2B17:11")
    assert response.status_code < 500
