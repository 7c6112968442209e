"""Every operation documents its error responses, and the bodies the API really sends for
400, 401, 403, 404 and 409 are the documented ones (`brm.core.api_schema`,
`brm.core.api.exception_handler`)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from brm.core.api_schema import error_codes
from tests.core.contract import Contract, published_schema
from tests.factories import ComplaintFactory, StakeholderFactory

ERROR_REF = "#/components/schemas/Error"
VALIDATION_REF = "#/components/schemas/ValidationError"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(published_schema())


def operations(contract: Contract) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in contract.schema["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def body_ref(operation: dict[str, Any], code: str) -> str | None:
    content = operation["responses"][code].get("content", {})
    ref: str | None = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref


def test_every_operation_documents_its_errors_with_their_bodies(contract: Contract) -> None:
    missing = []
    for path, method, op in operations(contract):
        documented = {code for code in op["responses"] if code >= "400"}
        wanted = {"401", "403", "429"}
        if "{" in path:
            wanted.add("404")
        if method in {"post", "put", "patch"}:
            wanted |= {"400", "409"}
        if method in {"put", "patch", "delete"}:
            wanted |= {"412", "428"}
        if not wanted <= documented:
            missing.append(f"{method.upper()} {path}: {sorted(wanted - documented)}")
        for code in documented:
            expected = VALIDATION_REF if code == "400" else ERROR_REF
            if body_ref(op, code) != expected:
                missing.append(f"{method.upper()} {path} {code}: body {body_ref(op, code)}")
    assert not missing, "\n".join(missing)


def test_filtered_lists_document_400_and_paginated_lists_404(contract: Contract) -> None:
    operation = contract.operation("/api/v1/complaints/")

    assert {"400", "404"} <= set(operation["responses"])
    assert error_codes("GET", {"parameters": []}, needs_login=False) == []
    assert error_codes("DELETE", {"parameters": [{"in": "path"}]}, needs_login=True) == [
        "401",
        "403",
        "404",
        "409",
        "412",
        "428",
        "429",
    ]


def assert_documented(contract: Contract, path: str, method: str, response: Any, status: int):
    assert response.status_code == status, (response.status_code, response.content[:300])
    errors = contract.errors(path, method, status, response.json())
    assert not errors, f"{method.upper()} {path} {status} {response.json()}: {errors}"


@pytest.mark.django_db
def test_401_without_credentials(contract: Contract) -> None:
    response = APIClient().get("/api/v1/units/")

    assert_documented(contract, "/api/v1/units/", "get", response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_403_for_a_role_that_may_not_act(contract, as_user, no_role_user, leader, unit_a):
    assert_documented(
        contract, "/api/v1/units/", "get", as_user(no_role_user).get("/api/v1/units/"), 403
    )
    refused = as_user(leader).post("/api/v1/units/", {"name": "Mine", "code": "mine"})
    assert_documented(contract, "/api/v1/units/", "post", refused, 403)


@pytest.mark.django_db
def test_404_for_what_the_caller_may_not_see_and_a_page_past_the_end(
    contract, as_user, brm, leader_b, unit_a
) -> None:
    complaint = ComplaintFactory.create(unit=unit_a)
    detail = "/api/v1/complaints/{id}/"

    other_unit = as_user(leader_b).get(f"/api/v1/complaints/{complaint.pk}/")
    assert_documented(contract, detail, "get", other_unit, 404)
    nothing = as_user(brm).get("/api/v1/complaints/999999/events/")
    assert_documented(contract, "/api/v1/complaints/{id}/events/", "get", nothing, 404)
    past_end = as_user(brm).get("/api/v1/complaints/", {"page": 99})
    assert_documented(contract, "/api/v1/complaints/", "get", past_end, 404)


@pytest.mark.django_db
def test_400_bodies_field_errors_nested_errors_filters_and_unreadable_json(
    contract, as_user, brm, admin_user, unit_a
) -> None:
    api = as_user(brm)
    missing = api.post("/api/v1/complaints/", {}, format="json")
    assert_documented(contract, "/api/v1/complaints/", "post", missing, 400)
    assert isinstance(missing.json()["title"], list)

    nested = as_user(admin_user).post(
        "/api/v1/survey-templates/",
        {"name": "Pulse", "questions": [{"kind": "nonsense", "text": ""}]},
        format="json",
    )
    assert_documented(contract, "/api/v1/survey-templates/", "post", nested, 400)
    assert isinstance(nested.json()["questions"], list | dict)

    bad_filter = api.get("/api/v1/complaints/", {"severity": "nonsense"})
    assert_documented(contract, "/api/v1/complaints/", "get", bad_filter, 400)

    unreadable = api.generic(
        "POST", "/api/v1/complaints/", "{not json", content_type="application/json"
    )
    assert_documented(contract, "/api/v1/complaints/", "post", unreadable, 400)
    assert isinstance(unreadable.json()["detail"], str)


@pytest.mark.django_db
def test_409_for_a_state_conflict_and_a_protected_delete(
    contract, as_user, brm, admin_user, unit_a
) -> None:
    complaint = ComplaintFactory.create(unit=unit_a)
    refused = as_user(brm).post(
        f"/api/v1/complaints/{complaint.pk}/transition/", {"to": "closed", "comment": "x"}
    )
    assert_documented(contract, "/api/v1/complaints/{id}/transition/", "post", refused, 409)

    StakeholderFactory.create(unit=unit_a)
    protected = as_user(admin_user).delete(f"/api/v1/units/{unit_a.pk}/")
    assert_documented(contract, "/api/v1/units/{id}/", "delete", protected, 409)


def test_the_oracle_rejects_what_a_generated_client_would(contract: Contract) -> None:
    """The validator is no rubber stamp: "" outside an enum, a missing field, an undocumented
    field, a wrong type and a plain list where a page is documented all fail."""
    path = "/api/v1/complaints/{id}/events/"
    event = {
        "id": 1,
        "kind": "comment",
        "actor": None,
        "from_status": None,
        "to_status": None,
        "comment": "Seen.",
        "level": None,
        "created_at": "2026-11-30T10:00:00Z",
    }
    page = {"count": 1, "next": None, "previous": None, "results": [event]}
    assert contract.errors(path, "get", 200, page) == []

    for broken in (
        {**event, "from_status": ""},
        {**event, "kind": "gossip"},
        {**event, "surprise": 1},
        {**event, "id": "1"},
        {**event, "created_at": "yesterday"},
        {k: v for k, v in event.items() if k != "comment"},
    ):
        assert contract.errors(path, "get", 200, {**page, "results": [broken]}), broken
    assert contract.errors(path, "get", 200, [event])
    assert contract.errors(path, "get", 404, {"message": "gone"})
    # 400: messages per field, nested, or `detail` (one message, or a list from model checks).
    create = "/api/v1/complaints/"
    valid: list[Any] = [{"title": ["Required."]}, {"detail": "Bad."}, {"detail": ["Too big."]}]
    for body in valid:
        assert contract.errors(create, "post", 400, body) == [], body
    invalid: list[Any] = [{"title": "Required."}, {"title": [1]}, ["Required."]]
    for body in invalid:
        assert contract.errors(create, "post", 400, body), body
