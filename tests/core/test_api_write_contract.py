"""What writes answer is what the schema documents for that operation and status: each status
a write can answer (an upsert's 201 and 200 alike) and each body, validated like the reads in
test_api_contract.py. The operations here are the ones whose answer is not the GET shape of a
record (bulk results, upserts, timeline events, workflow moves)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.core.contract import Contract, published_schema
from tests.factories import ServiceFactory

METRICS = "/api/v1/service-metrics/"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(published_schema())


def row(service: Any, start: str, end: str) -> dict[str, Any]:
    return {
        "service": service.pk,
        "period_start": start,
        "period_end": end,
        "availability": "99.950",
        "incidents": 3,
        "major_incidents": 1,
        "workload": 1200,
    }


def documented(contract: Contract, path: str, method: str, response: Any, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.json())
    errors = contract.errors(path, method, status, response.json())
    assert not errors, f"{method.upper()} {path} {status}: {errors}"


@pytest.mark.django_db
def test_a_metric_upsert_answers_201_then_200_and_bulk_its_result(
    contract, as_user, integration, unit_a
) -> None:
    api = as_user(integration)
    service = ServiceFactory.create(consumers=[unit_a], availability_target=Decimal("99.9"))
    body = row(service, "2026-01-01", "2026-01-31")

    documented(contract, METRICS, "post", api.post(METRICS, body, format="json"), 201)
    documented(contract, METRICS, "post", api.post(METRICS, body, format="json"), 200)

    rows = [row(service, "2026-02-01", "2026-02-28"), row(service, "2026-03-01", "2026-03-31")]
    bulk = api.post(f"{METRICS}bulk/", {"metrics": rows}, format="json")
    documented(contract, f"{METRICS}bulk/", "post", bulk, 200)
    assert (bulk.json()["created"], bulk.json()["updated"]) == (2, 0)


@pytest.mark.django_db
def test_the_complaint_workflow_answers_what_the_schema_says(
    contract, as_user, leader, brm, unit_a
) -> None:
    filed = as_user(leader).post(
        "/api/v1/complaints/", {"title": "Payslips late", "description": "Again."}
    )
    documented(contract, "/api/v1/complaints/", "post", filed, 201)
    assert filed.json()["follow_up_kind"] is None
    base = f"/api/v1/complaints/{filed.json()['id']}/"

    comment = as_user(brm).post(f"{base}comments/", {"comment": "Looking into it."})
    documented(contract, "/api/v1/complaints/{id}/comments/", "post", comment, 201)
    assert (comment.json()["from_status"], comment.json()["to_status"]) == (None, None)

    moved = as_user(brm).post(f"{base}transition/", {"to": "acknowledged", "comment": "Seen."})
    documented(contract, "/api/v1/complaints/{id}/transition/", "post", moved, 200)

    linked = as_user(brm).post(f"{base}follow-up/", {"kind": "demand", "reference": "D-7"})
    documented(contract, "/api/v1/complaints/{id}/follow-up/", "post", linked, 200)
    assert linked.json()["follow_up_kind"] == "demand"

    timeline = as_user(leader).get(f"{base}events/")
    documented(contract, "/api/v1/complaints/{id}/events/", "get", timeline, 200)
    assert [e["kind"] for e in timeline.json()["results"]][:3] == ["filed", "comment", "transition"]
