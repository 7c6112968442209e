"""The API answers what its published OpenAPI schema says, for every role and every record kind.

With realistic data in every app (the demo data set, built through the apps' services, plus
factory records with every optional field left empty), each role (CIO, BRM, business leader,
administrator, integration) GETs every list and detail endpoint the schema publishes, with a
bearer token, and each response body is validated against the schema of its operation and
status with an OpenAPI 3.0 validator (`openapi-schema-validator`). Any field the schema does
not name, a value outside its enum, a null where it is not nullable, a wrong type or format,
or a list that is paginated on one side only fails, with the path and the JSON pointer.

The error bodies are checked the same way in tests/core/test_api_errors.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from brm.core.roles import Role
from complaints.models import Complaint
from stakeholders.models import BusinessUnit
from tests.conftest import token_client
from tests.core.contract import Contract, published_schema
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    ComplaintFactory,
    DemandFactory,
    FeedbackFactory,
    InteractionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.slow

ROLES = ["cio", "brm", "leader", "admin", "integration"]  # the demo's logins, one per role
DETAILS_PER_LIST = 3  # detail GETs per list endpoint and role: first, middle and last
PATH_PARAM = re.compile(r"\{(\w+)\}")


def build_world() -> None:
    """Every app's demo data (made through its services, one login per role), health for a
    week ago and today, and factory records whose optional fields are all empty."""
    import io
    import random

    from brm.health.engine import recompute_health
    from brm.management.commands.seed_demo import Command
    from complaints.demo import seed_complaints_demo
    from complaints.follow_up import link_follow_up
    from portfolio.demo import seed_demands_demo
    from reviews.demo import seed_reviews_demo
    from satisfaction.demo import seed_satisfaction_demo

    seed = Command(stdout=io.StringIO())
    users = seed.users()
    units = seed.units(users)
    seed.interactions(
        random.Random(12), units, seed.stakeholders(random.Random(12), units, users), users
    )
    seed_reviews_demo()
    seed_complaints_demo()
    seed_satisfaction_demo()
    seed_demands_demo()
    recompute_health(timezone.now() - timedelta(weeks=1), propose=False)
    recompute_health()

    brm = users["brm"]
    unit = BusinessUnit.objects.filter(brm=brm).order_by("pk").first()
    assert unit is not None, "the demo gives the BRM units"
    bare_unit = BusinessUnitFactory.create(brm=brm, description="")
    StakeholderFactory.create(unit=unit, job_title="", phone="", email="", external_id=None)
    InteractionFactory.create(unit=bare_unit)
    ActionItemFactory.create(unit=bare_unit)
    ComplaintFactory.create(unit=unit)  # no service, no follow-up, never acknowledged
    linked = Complaint.objects.filter(unit=unit).order_by("pk").first()
    assert linked is not None, "the demo files complaints for the BRM's units"
    link_follow_up(linked, actor=brm, kind="demand", reference="D-7")
    DemandFactory.create(unit=unit)  # no business case: no score
    FeedbackFactory.create(unit=unit, author=brm)
    webhooks(users["admin"], unit)
    attachments(brm, unit)


def attachments(brm: Any, unit: BusinessUnit) -> None:
    """A file on each complaint, meeting, review and demand of the BRM's unit (whichever of them
    a list's spread picks), so the nested attachment paths (two path parameters) are opened,
    downloads included."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from brm.core.attachments.services import attach_file
    from portfolio.models import Demand
    from reviews.models import ServiceReview
    from stakeholders.models import Interaction

    for model in (Complaint, Interaction, ServiceReview, Demand):
        records = list(model.objects.filter(unit=unit).order_by("pk")[:60])
        assert records, f"the demo gives the BRM's unit a {model.__name__}"
        for record in records:
            upload = SimpleUploadedFile("notes.txt", b"Agreed: reports by day 2.\n")
            attach_file(record, upload, actor=brm, allowed=True)


def webhooks(admin: Any, unit: BusinessUnit) -> None:
    """A subscription with a delivery tried once (the admin-only webhook API)."""
    from brm.webhooks.models import (
        DeliveryState,
        WebhookAttempt,
        WebhookDelivery,
        WebhookSubscription,
    )
    from brm.webhooks.signing import new_secret

    subscription = WebhookSubscription.objects.create(
        url="https://hooks.example.org/brm",
        event_types=["complaint.filed"],
        secret=new_secret(),
        owner=admin,
    )
    subscription.units.set([unit])
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="complaint.filed",
        unit_id=unit.pk,
        payload={"type": "complaint.filed", "timestamp": "2026-11-30T10:00:00Z", "data": {}},
        state=DeliveryState.PENDING,
        attempts=1,
        first_attempt_at=timezone.now(),
        next_attempt_at=timezone.now() + timedelta(minutes=5),
        last_status=503,
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=timezone.now(),
        status_code=503,
        duration_ms=120,
        response_excerpt="Service Unavailable",
        will_retry=True,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The data set, built once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_world()
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def contract(world: None, django_db_blocker: Any) -> Contract:
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock():
        admin = get_user_model().objects.get(username="admin")
        response = token_client(admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return Contract(response.json())


def list_path_of(path: str) -> str:
    """`/api/v1/complaints/{id}/events/` -> `/api/v1/complaints/`: where its ids come from."""
    return path.split("{", 1)[0]


# Lists whose items name their record by another key than `id`.
ID_KEYS = {"/api/v1/survey-results/": "campaign"}


def ids_from(list_path: str, items: list[dict[str, Any]], param: str) -> list[Any]:
    """A spread of the ids in `items` (first, middle, last) to GET their details with."""
    key = ID_KEYS.get(list_path, param)
    values = [item[key] for item in items if isinstance(item, dict) and key in item]
    if len(values) <= DETAILS_PER_LIST:
        return values
    return [values[0], values[len(values) // 2], values[-1]]


def walk(client: APIClient, contract: Contract, role: str) -> tuple[list[str], set[str]]:
    """GET every list and a spread of each list's details as `role`: the contract violations
    found, and the schema paths this role checked (answered 200, or a detail path whose list
    gave this role nothing to open)."""
    problems: list[str] = []
    checked: set[str] = set()
    items_of: dict[str, list[dict[str, Any]]] = {}
    # A record's own lists (its files), by (path template, the record's id).
    nested_items: dict[tuple[str, Any], list[dict[str, Any]]] = {}

    def check(path: str, url: str) -> Any:
        response = client.get(url)
        if response.status_code != 200:
            if "{" in path:  # its id came from this role's own list
                problems.append(f"{role} GET {url}: {response.status_code} for a listed record")
            return None
        checked.add(path)
        media_type = response["Content-Type"].split(";")[0]
        documented = contract.operation(path)["responses"]["200"].get("content", {})
        if media_type not in documented:
            problems.append(f"{role} GET {url}: {media_type} is not documented")
        if media_type != "application/json":
            return None  # the review's calendar file: tests/reviews check its content
        body = response.json()
        problems.extend(
            f"{role} GET {url}: {error}" for error in contract.errors(path, "get", 200, body)
        )
        return body

    for path in contract.get_paths():
        if "{" not in path:
            body = check(path, path)
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                items_of[path] = body["results"]
            elif isinstance(body, list):
                items_of[path] = body
    for path in contract.get_paths():
        params = PATH_PARAM.findall(path)
        if len(params) != 1:
            continue
        list_path = list_path_of(path)
        values = ids_from(list_path, items_of.get(list_path, []), params[0])
        if not values:
            checked.add(path)  # nothing this role could open
        for value in values:
            body = check(path, path.replace("{" + params[0] + "}", str(value)))
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                nested_items[(path, value)] = body["results"]
    for path in contract.get_paths():
        params = PATH_PARAM.findall(path)
        if len(params) < 2:
            continue
        # /records/{id}/attachments/{attachment_pk}/...: ids from the record's own list.
        assert len(params) == 2, f"{path}: more than two path parameters"
        parent, child = params
        list_template = path[: path.index("{" + child + "}")]
        opened = False
        for (template, value), items in nested_items.items():
            if template != list_template:
                continue
            for child_id in ids_from(list_template, items, "id"):
                url = path.replace("{" + parent + "}", str(value))
                check(path, url.replace("{" + child + "}", str(child_id)))
                opened = True
        if not opened:
            checked.add(path)  # nothing this role could open
    return problems, checked


@pytest.mark.django_db
def test_every_get_answers_what_the_schema_says_for_every_role(contract: Contract) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    problems: list[str] = []
    checked: set[str] = set()
    for role in ROLES:
        found, paths = walk(token_client(users[role]), contract, role)
        problems += found
        checked |= paths

    assert not problems, f"{len(problems)} contract violation(s):\n" + "\n".join(problems[:60])
    # Each list answered some role; each detail was opened where a list showed records.
    missed = set(contract.get_paths()) - checked
    assert not missed, f"no role got a 200 from these GET endpoints: {missed}"


@pytest.mark.django_db
def test_the_data_set_covers_every_app_and_each_role_has_its_login(world: None) -> None:
    from django.contrib.auth import get_user_model

    from brm.core.roles import role_of
    from brm.health.models import HealthSnapshot
    from portfolio.models import BenefitRecord, Demand
    from reviews.models import ChangeRequest, ServiceReview
    from satisfaction.models import Campaign, Response
    from stakeholders.models import ActionItem, Interaction, Stakeholder

    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    assert {name: role_of(user) for name, user in users.items()} == {
        "cio": Role.EXECUTIVE,
        "brm": Role.BRM,
        "leader": Role.LEADER,
        "admin": Role.ADMIN,
        "integration": Role.INTEGRATION,
    }
    for model in (
        Stakeholder,
        Interaction,
        ActionItem,
        ServiceReview,
        ChangeRequest,
        Complaint,
        Demand,
        BenefitRecord,
        Campaign,
        Response,
        HealthSnapshot,
    ):
        assert model.objects.exists(), f"no {model.__name__} in the data set"
    # Both sides of every optional enum: unset (null in the API) and set.
    assert Complaint.objects.filter(follow_up_kind="").exists()
    assert Complaint.objects.exclude(follow_up_kind="").exists()


# Bodies that are free-form by design: a webhook delivery's payload is whichever resource the
# event carries, as the API shows that resource.
FREE_FORM_ALLOWED = {("WebhookDelivery", "payload")}


def free_form(schemas: dict[str, Any], node: Any, trail: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Where under `node` the schema says "any object" or "anything" (no documented shape)."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return [] if name in trail else free_form(schemas, schemas[name], (*trail, name))
    found = []
    shapes = {"type", "properties", "allOf", "oneOf", "anyOf", "enum", "$ref"}
    if not shapes & set(node) or (
        node.get("type") == "object"
        and "properties" not in node
        and node.get("additionalProperties") in (None, True, {})
    ):
        found.append(trail)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict) and node[key]:
            found += free_form(schemas, node[key], trail)
    for key in ("allOf", "oneOf", "anyOf"):
        for option in node.get(key, []):
            found += free_form(schemas, option, trail)
    for name, prop in node.get("properties", {}).items():
        if (trail[-1] if trail else "", name) not in FREE_FORM_ALLOWED:
            found += free_form(schemas, prop, (*trail, name))
    return found


def test_every_response_body_has_a_documented_shape() -> None:
    """No 'any object' response (what `OpenApiTypes.OBJECT` or a bare JSONField documents):
    a client generated from the schema would get an untyped blob."""
    assert free_form({}, {"type": "object", "additionalProperties": {}}, ()) == [()]
    assert free_form({}, {"description": "JSON"}, ()) == [()]
    schema = published_schema()
    schemas = schema["components"]["schemas"]
    vague = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation.get("responses", {}).items():
                body = response.get("content", {}).get("application/json")
                if body is not None:
                    for trail in free_form(schemas, body["schema"], ()):
                        vague.append(f"{method.upper()} {path} {code}: {'.'.join(trail)}")
    assert not vague, "\n".join(vague)
