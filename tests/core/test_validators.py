"""Names and titles are one line: control characters are refused with a 400 and a per-field
message (API), a form error (pages, admin); free text keeps its line breaks, escaped where it
goes (email headers, CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from brm.core.htmx import csv_response
from brm.core.validators import header_text, single_line
from reviews.models import ChangeRequest
from satisfaction.models import Campaign
from tests.factories import (
    ActionItemFactory,
    DemandFactory,
    ServiceFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    StrategicObjectiveFactory,
    SurveyTemplateFactory,
)

pytestmark = pytest.mark.django_db

BAD = [
    "Finance\r\nBcc: everyone@example.org",
    "Line\nbreak",
    "Carriage\rreturn",
    "Nul\x00byte",
    "Tab\there",
    "Escape\x1b[31m",
    "Delete\x7f",
    "Separator\u2028here",
]


@pytest.mark.parametrize("value", BAD)
def test_the_validator_refuses_every_control_character(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        single_line(value)
    assert exc.value.code == "control_characters"


def test_the_validator_accepts_ordinary_names() -> None:
    for value in ["Finance", "Zoë O'Brien-Smith", "R&D / Ops (EMEA)", "東京オフィス", ""]:
        single_line(value)


def _objects(unit: Any, brm: Any) -> dict[str, tuple[str, str]]:
    """API path of one object per list, and its single-line field."""
    review = ServiceReviewFactory.create(unit=unit)
    change = ChangeRequest.objects.create(review=review, title="Change")
    campaign = Campaign.objects.create(
        template=SurveyTemplateFactory.create(), name="Q1", owner=brm
    )
    campaign.units.set([unit])
    return {
        "unit": (f"units/{unit.pk}/", "name"),
        "stakeholder": (f"stakeholders/{StakeholderFactory.create(unit=unit).pk}/", "name"),
        "job title": (f"stakeholders/{StakeholderFactory.create(unit=unit).pk}/", "job_title"),
        "commitment": (f"action-items/{ActionItemFactory.create(unit=unit).pk}/", "title"),
        "service": (f"services/{ServiceFactory.create(consumers=[unit]).pk}/", "name"),
        "objective": (f"objectives/{StrategicObjectiveFactory.create().pk}/", "name"),
        "demand": (f"demands/{DemandFactory.create(unit=unit).pk}/", "title"),
        "change request": (f"change-requests/{change.pk}/", "title"),
        "campaign": (f"campaigns/{campaign.pk}/", "name"),
        "survey template": (f"survey-templates/{campaign.template_id}/", "name"),
    }


KINDS = [
    "unit",
    "stakeholder",
    "job title",
    "commitment",
    "service",
    "objective",
    "demand",
    "change request",
    "campaign",
    "survey template",
]


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_refuses_a_name_with_a_line_break_per_field(
    kind: str, as_user: Any, admin_user: Any, brm: Any, unit_a: Any
) -> None:
    path, field = _objects(unit_a, brm)[kind]
    client = as_user(admin_user)
    before = client.get(f"/api/v1/{path}").json().get(field)
    response = client.patch(f"/api/v1/{path}", {field: "Evil\r\nBcc: x@example.org"}, format="json")
    assert response.status_code == 400, (kind, response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert client.get(f"/api/v1/{path}").json().get(field) == before


def test_filing_a_complaint_refuses_a_title_with_a_line_break(
    as_user: Any, leader: Any, unit_a: Any
) -> None:
    body = {
        "unit": unit_a.pk,
        "title": "Late\r\nBcc: x@example.org",
        "description": "The report was late.\nAgain.",  # free text keeps its line breaks
        "severity": "medium",
    }
    response = as_user(leader).post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 400 and "title" in response.json()
    body["title"] = "Late report"
    response = as_user(leader).post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["description"] == "The report was late.\nAgain."


def test_a_page_form_refuses_a_name_with_a_line_break(client: Any, brm: Any, unit_a: Any) -> None:
    client.force_login(brm)
    response = client.post(
        reverse("stakeholders:stakeholder_create"),
        {"unit": unit_a.pk, "name": "Ann\r\nBcc: x@example.org", "influence": 3, "interest": 3},
    )
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["name"]


def test_the_admin_refuses_a_unit_name_with_nul(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:stakeholders_businessunit_add"),
        {"name": "Fin\x00ance", "code": "fin", "review_cadence_days": 90},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]


def test_free_text_keeps_its_line_breaks_but_not_in_an_email_header() -> None:
    assert header_text("Late report\r\nBcc: everyone@example.org") == (
        "Late report Bcc: everyone@example.org"
    )
    assert "\n" not in header_text("a\nb\x00c\u2028d") and "\x00" not in header_text("b\x00c")


def test_csv_keeps_a_multi_line_cell_in_one_row() -> None:
    response = csv_response("x.csv", ["title", "description"], [["A", "line 1\r\nline 2"]])
    chunks = cast("Iterable[bytes]", response.streaming_content)
    text = b"".join(chunks).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["title", "description"], ["A", "line 1\r\nline 2"]]
