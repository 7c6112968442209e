"""The stakeholder register's REST API (`/api/v1/units|stakeholders|interactions|action-items/`).

Every request goes through a real bearer token (`as_user`). Personas come from `tests/conftest.py`:
`brm` manages unit A, `other_brm` unit B, `leader` belongs to A and `leader_b` to B.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db.models import Model
from django.utils import timezone
from rest_framework.test import APIClient

from brm.core import delivery
from brm.core.models import OutboundEmail
from brm.core.roles import Role
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    BusinessUnit,
    Handover,
    Interaction,
    OwnerSide,
    Stakeholder,
)
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    InteractionFactory,
    StakeholderFactory,
    UserFactory,
)

API = "/api/v1"
ENDPOINTS = ["units", "stakeholders", "interactions", "action-items"]
MODELS: dict[str, Any] = {  # model classes, each with its own manager
    "units": BusinessUnit,
    "stakeholders": Stakeholder,
    "interactions": Interaction,
    "action-items": ActionItem,
}
READS = ["list", "retrieve"]
WRITES = ["create", "update", "delete"]


def cases(methods: list[str], *, transition: bool = False) -> list[tuple[str, str]]:
    """(endpoint, method) pairs; `transition` adds the commitments' status action."""
    pairs = [(endpoint, method) for endpoint in ENDPOINTS for method in methods]
    if transition:
        pairs.append(("action-items", "transition"))
    return pairs


READ_CASES = cases(READS)
WRITE_CASES = cases(WRITES, transition=True)
ALL_CASES = cases(READS + WRITES, transition=True)
# Creating and deleting units is for administrators and integrations only.
BRM_WRITE_CASES = [c for c in WRITE_CASES if c not in {("units", "create"), ("units", "delete")}]


def url(endpoint: str, pk: int | None = None, action: str = "") -> str:
    path = f"{API}/{endpoint}/"
    if pk is not None:
        path += f"{pk}/"
    return path + (f"{action}/" if action else "")


def record_in(endpoint: str, unit: BusinessUnit) -> Any:
    """A record of `endpoint` belonging to `unit` (for `units`, the unit itself)."""
    if endpoint == "units":
        return unit
    factory: Any = {
        "stakeholders": StakeholderFactory,
        "interactions": InteractionFactory,
        "action-items": ActionItemFactory,
    }[endpoint]
    return factory.create(unit=unit)


def target_for(endpoint: str, method: str, unit: BusinessUnit) -> Any:
    """What a request acts on. Deleting a unit needs one nothing else refers to (PROTECT)."""
    if endpoint == "units" and method == "delete":
        return BusinessUnitFactory.create(brm=unit.brm, deputy=unit.deputy)
    return record_in(endpoint, unit)


def create_payload(endpoint: str, unit: BusinessUnit) -> dict[str, Any]:
    return {
        "units": {"name": "Procurement", "code": "proc", "review_cadence_days": 30},
        "stakeholders": {
            "unit": unit.pk,
            "name": "Pat Buyer",
            "role_type": "sponsor",
            "influence": 4,
            "interest": 2,
        },
        "interactions": {
            "unit": unit.pk,
            "kind": "call",
            "summary": "Budget call",
            "notes": "Worried about cost",
            "sentiment": -1,
        },
        "action-items": {"unit": unit.pk, "title": "Send the roadmap", "due_date": "2030-01-31"},
    }[endpoint]


UPDATES: dict[str, tuple[str, Any]] = {
    "units": ("description", "Runs the money side"),
    "stakeholders": ("job_title", "Chief buyer"),
    "interactions": ("summary", "Budget call, follow-up"),
    "action-items": ("title", "Send the revised roadmap"),
}


def call(client: APIClient, endpoint: str, method: str, record: Model, unit: BusinessUnit):
    if method == "list":
        return client.get(url(endpoint))
    if method == "retrieve":
        return client.get(url(endpoint, record.pk))
    if method == "create":
        return client.post(url(endpoint), create_payload(endpoint, unit), format="json")
    if method == "update":
        field, value = UPDATES[endpoint]
        return client.patch(url(endpoint, record.pk), {field: value}, format="json")
    if method == "delete":
        return client.delete(url(endpoint, record.pk))
    if method == "transition":
        return client.post(
            url(endpoint, record.pk, "transition"), {"action": "complete"}, format="json"
        )
    raise AssertionError(method)


def register_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the register, to prove a refused or invalid request changed nothing."""
    return {name: list(model.objects.order_by("pk").values()) for name, model in MODELS.items()} | {
        "attendees": list(Interaction.attendees.through.objects.order_by("pk").values()),
        "handovers": list(Handover.objects.order_by("pk").values()),
    }


def assert_applied(endpoint: str, method: str, response, record: Any, unit: BusinessUnit):
    """The 2xx status of a successful write and the data it stored."""
    model = MODELS[endpoint]
    if method == "create":
        assert response.status_code == 201, response.content
        stored = model.objects.get(pk=response.data["id"])
        for field, value in create_payload(endpoint, unit).items():
            attname = f"{field}_id" if field == "unit" else field
            assert str(getattr(stored, attname)) == str(value), field
    elif method == "update":
        assert response.status_code == 200, response.content
        field, value = UPDATES[endpoint]
        record.refresh_from_db()
        assert getattr(record, field) == value
        assert response.data[field] == value
    elif method == "delete":
        assert response.status_code == 204, response.content
        assert not model.objects.filter(pk=record.pk).exists()
    else:
        assert response.status_code == 200, response.content
        record.refresh_from_db()
        assert record.status == ActionStatus.DONE


@pytest.fixture
def brm_api(as_user, brm):
    return as_user(brm)


@pytest.fixture
def admin_api(as_user, admin_user):
    return as_user(admin_user)


@pytest.fixture
def leader_api(as_user, leader):
    return as_user(leader)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.data["results"]}


# --- Permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method"), ALL_CASES)
def test_it_requires_credentials(api, unit_a, endpoint: str, method: str) -> None:
    record = target_for(endpoint, method, unit_a)
    before = register_state()

    response = call(api, endpoint, method, record, unit_a)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert register_state() == before


@pytest.mark.parametrize(("endpoint", "method"), ALL_CASES)
def test_it_forbids_users_without_a_role(as_user, no_role_user, unit_a, endpoint, method) -> None:
    record = target_for(endpoint, method, unit_a)
    before = register_state()

    response = call(as_user(no_role_user), endpoint, method, record, unit_a)

    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize(("endpoint", "method"), READ_CASES)
def test_it_lets_leaders_read_their_own_unit(leader_api, unit_a, endpoint, method) -> None:
    record = record_in(endpoint, unit_a)

    response = call(leader_api, endpoint, method, record, unit_a)

    assert response.status_code == 200
    if method == "retrieve":
        assert response.data["id"] == record.pk
    else:
        assert record.pk in ids(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_answers_404_to_leaders_asking_for_another_units_record(
    leader_api, unit_b, endpoint: str
) -> None:
    record = record_in(endpoint, unit_b)

    response = leader_api.get(url(endpoint, record.pk))

    assert response.status_code == 404
    assert set(response.data) == {"detail"}  # no field of the record, not even its id


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_leaves_other_units_out_of_a_leaders_lists(
    leader_api, unit_a, unit_b, endpoint: str
) -> None:
    record_in(endpoint, unit_a)
    hidden = record_in(endpoint, unit_b)
    model = MODELS[endpoint]
    own = model.objects.filter(**{"pk" if endpoint == "units" else "unit": unit_a.pk})

    response = leader_api.get(url(endpoint))

    assert ids(response) == set(own.values_list("pk", flat=True))
    assert hidden.pk not in ids(response)
    assert response.data["count"] == own.count()


@pytest.mark.parametrize(("endpoint", "method"), WRITE_CASES)
def test_it_forbids_leaders_to_write(leader_api, unit_a, endpoint: str, method: str) -> None:
    record = target_for(endpoint, method, unit_a)
    before = register_state()

    response = call(leader_api, endpoint, method, record, unit_a)

    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize(("endpoint", "method"), cases(["update", "delete"], transition=True))
def test_it_answers_leaders_writes_to_other_units_as_to_unknown_ids(
    leader_api, unit_b, endpoint: str, method: str
) -> None:
    record = target_for(endpoint, method, unit_b)
    missing = MODELS[endpoint](pk=10**9)

    to_record = call(leader_api, endpoint, method, record, unit_b)
    to_nothing = call(leader_api, endpoint, method, missing, unit_b)

    assert (to_record.status_code, to_record.data) == (to_nothing.status_code, to_nothing.data)


@pytest.mark.parametrize(("endpoint", "method"), READ_CASES)
def test_it_lets_executives_read_every_unit(as_user, executive, unit_b, endpoint, method) -> None:
    record = record_in(endpoint, unit_b)

    response = call(as_user(executive), endpoint, method, record, unit_b)

    assert response.status_code == 200
    if method == "list":
        assert record.pk in ids(response)


@pytest.mark.parametrize(("endpoint", "method"), WRITE_CASES)
def test_it_forbids_executives_to_write(as_user, executive, unit_a, endpoint, method) -> None:
    record = target_for(endpoint, method, unit_a)
    before = register_state()

    response = call(as_user(executive), endpoint, method, record, unit_a)

    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize(("endpoint", "method"), READ_CASES)
def test_it_lets_brms_read_units_they_do_not_manage(brm_api, unit_b, endpoint, method) -> None:
    record = record_in(endpoint, unit_b)

    response = call(brm_api, endpoint, method, record, unit_b)

    assert response.status_code == 200


@pytest.mark.parametrize(("endpoint", "method"), WRITE_CASES)
def test_it_forbids_brms_to_write_units_they_do_not_manage(
    as_user, other_brm, unit_a, endpoint: str, method: str
) -> None:
    record = target_for(endpoint, method, unit_a)
    before = register_state()

    response = call(as_user(other_brm), endpoint, method, record, unit_a)

    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize(("endpoint", "method"), BRM_WRITE_CASES)
def test_it_lets_brms_write_their_own_units(brm_api, unit_a, endpoint: str, method: str) -> None:
    record = target_for(endpoint, method, unit_a)

    response = call(brm_api, endpoint, method, record, unit_a)

    assert_applied(endpoint, method, response, record, unit_a)


@pytest.mark.parametrize(("endpoint", "method"), BRM_WRITE_CASES)
def test_it_lets_deputies_write_their_units(as_user, unit_a, endpoint: str, method: str) -> None:
    deputy = UserFactory.create(username="deputy", role=Role.BRM)
    unit_a.deputy = deputy
    unit_a.save()
    record = target_for(endpoint, method, unit_a)

    response = call(as_user(deputy), endpoint, method, record, unit_a)

    assert_applied(endpoint, method, response, record, unit_a)


@pytest.mark.parametrize("method", ["create", "delete"])
def test_it_forbids_brms_to_create_or_delete_units(brm_api, unit_a, method: str) -> None:
    record = target_for("units", method, unit_a)
    before = register_state()

    response = call(brm_api, "units", method, record, unit_a)

    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize("persona", ["integration", "admin_user"])
@pytest.mark.parametrize(("endpoint", "method"), WRITE_CASES)
def test_it_lets_integrations_and_admins_write_everywhere(
    request, as_user, unit_b, persona: str, endpoint: str, method: str
) -> None:
    record = target_for(endpoint, method, unit_b)

    response = call(as_user(request.getfixturevalue(persona)), endpoint, method, record, unit_b)

    assert_applied(endpoint, method, response, record, unit_b)


# --- CRUD details -----------------------------------------------------------------------------


def test_it_creates_a_unit_with_its_relationship_managers(admin_api, brm, other_brm) -> None:
    response = admin_api.post(
        url("units"),
        {"name": "Legal", "code": "legal", "brm": brm.pk, "deputy": other_brm.pk},
        format="json",
    )

    assert response.status_code == 201
    unit = BusinessUnit.objects.get(code="legal")
    assert (unit.name, unit.brm, unit.deputy) == ("Legal", brm, other_brm)
    assert (unit.review_cadence_days, unit.active) == (90, True)
    assert response.data["brm"] == brm.pk


def test_it_nests_a_unit_below_a_parent(admin_api, unit_a) -> None:
    response = admin_api.post(
        url("units"), {"name": "Payroll", "code": "pay", "parent": unit_a.pk}, format="json"
    )

    assert response.status_code == 201
    assert BusinessUnit.objects.get(code="pay").parent == unit_a


def test_it_refuses_to_delete_a_unit_that_still_has_stakeholders(admin_api, unit_a) -> None:
    StakeholderFactory.create(unit=unit_a)

    response = admin_api.delete(url("units", unit_a.pk))

    assert response.status_code == 409
    assert BusinessUnit.objects.filter(pk=unit_a.pk).exists()


def test_it_shows_a_stakeholder_with_ids_and_lower_case_enums(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(
        unit=unit_a, name="Dana Cruz", role_type="sponsor", preferred_channel="in_person"
    )

    response = brm_api.get(url("stakeholders", person.pk))

    assert response.status_code == 200
    assert response.data["unit"] == unit_a.pk
    assert (response.data["role_type"], response.data["preferred_channel"]) == (
        "sponsor",
        "in_person",
    )
    assert response.data["last_met_at"] is None


def test_it_shows_when_a_stakeholder_was_last_met(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a)
    met = InteractionFactory.create(unit=unit_a, occurred_at=timezone.now() - timedelta(days=3))
    met.attendees.add(person)
    older = InteractionFactory.create(unit=unit_a, occurred_at=timezone.now() - timedelta(days=30))
    older.attendees.add(person)

    response = brm_api.get(url("stakeholders", person.pk))

    # The API writes instants in the site's time zone (+01:00 in a London summer): compare instants.
    assert datetime.fromisoformat(response.data["last_met_at"]) == met.occurred_at


def test_the_list_gives_each_stakeholder_their_own_last_meeting(brm_api, unit_a) -> None:
    # Counted through each one's attendance rows: another person's newer meeting is not theirs.
    ana, ben, cy = (StakeholderFactory.create(unit=unit_a, name=n) for n in ("Ana", "Ben", "Cy"))
    now = timezone.now()
    together = InteractionFactory.create(unit=unit_a, occurred_at=now - timedelta(days=40))
    together.attendees.add(ana, ben)
    ana_alone = InteractionFactory.create(unit=unit_a, occurred_at=now - timedelta(days=2))
    ana_alone.attendees.add(ana)
    InteractionFactory.create(unit=unit_a, occurred_at=now - timedelta(days=1))  # nobody listed

    rows = {r["name"]: r for r in brm_api.get("/api/v1/stakeholders/").data["results"]}

    assert datetime.fromisoformat(rows["Ana"]["last_met_at"]) == ana_alone.occurred_at
    assert datetime.fromisoformat(rows["Ben"]["last_met_at"]) == together.occurred_at
    assert rows["Cy"]["last_met_at"] is None


def test_it_replaces_a_stakeholder_with_put(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a, name="Old Name", influence=2)

    response = brm_api.put(
        url("stakeholders", person.pk),
        {"unit": unit_a.pk, "name": "New Name", "influence": 5, "interest": 1},
        format="json",
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.name, person.influence, person.interest) == ("New Name", 5, 1)


def test_it_syncs_an_external_id(as_user, integration, unit_a) -> None:
    response = as_user(integration).post(
        url("stakeholders"),
        {"unit": unit_a.pk, "name": "From HR", "external_id": "HR-0042"},
        format="json",
    )

    assert response.status_code == 201
    assert Stakeholder.objects.get(external_id="HR-0042").name == "From HR"


def test_it_forbids_a_brm_to_move_a_stakeholder_to_a_unit_they_do_not_manage(
    brm_api, unit_a, unit_b
) -> None:
    person = StakeholderFactory.create(unit=unit_a)

    response = brm_api.patch(url("stakeholders", person.pk), {"unit": unit_b.pk}, format="json")

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.unit == unit_a


def test_it_logs_an_interaction_with_its_attendees_and_the_caller(brm_api, brm, unit_a) -> None:
    people = StakeholderFactory.create_batch(2, unit=unit_a)

    response = brm_api.post(
        url("interactions"),
        {
            "unit": unit_a.pk,
            "kind": "workshop",
            "summary": "Roadmap workshop",
            "occurred_at": "2026-01-15T10:00:00+01:00",
            "sentiment": 2,
            "attendees": [p.pk for p in people],
        },
        format="json",
    )

    assert response.status_code == 201
    logged = Interaction.objects.get(pk=response.data["id"])
    assert (logged.kind, logged.sentiment, logged.logged_by) == ("workshop", 2, brm)
    assert logged.occurred_at.isoformat() == "2026-01-15T09:00:00+00:00"
    assert set(logged.attendees.all()) == set(people)
    assert list(logged.it_participants.all()) == [brm]  # the caller, when nobody is named
    assert response.data["logged_by"] == brm.pk


def test_it_records_the_named_it_participants(brm_api, other_brm, unit_a) -> None:
    response = brm_api.post(
        url("interactions"),
        {"unit": unit_a.pk, "kind": "call", "summary": "Call", "it_participants": [other_brm.pk]},
        format="json",
    )

    assert response.status_code == 201
    assert list(Interaction.objects.get().it_participants.all()) == [other_brm]


def test_it_updates_the_attendees_of_an_interaction(brm_api, unit_a) -> None:
    meeting = InteractionFactory.create(unit=unit_a)
    meeting.attendees.add(StakeholderFactory.create(unit=unit_a))
    newcomer = StakeholderFactory.create(unit=unit_a)

    response = brm_api.patch(
        url("interactions", meeting.pk), {"attendees": [newcomer.pk]}, format="json"
    )

    assert response.status_code == 200
    assert list(meeting.attendees.all()) == [newcomer]


# A due date of 1 March 2030 is "open" only while that day is ahead: freeze the clock before it.
@time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), tick=False)
def test_it_records_who_created_an_action_item(brm_api, brm, unit_a) -> None:
    meeting = InteractionFactory.create(unit=unit_a)

    response = brm_api.post(
        url("action-items"),
        {
            "unit": unit_a.pk,
            "title": "Share the capacity plan",
            "due_date": "2030-03-01",
            "owner": brm.pk,
            "interaction": meeting.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    item = ActionItem.objects.get(pk=response.data["id"])
    assert (item.created_by, item.owner, item.interaction) == (brm, brm, meeting)
    assert (item.status, response.data["outcome"]) == (ActionStatus.OPEN, "open")


def test_it_creates_a_business_side_commitment(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a)

    response = brm_api.post(
        url("action-items"),
        {
            "unit": unit_a.pk,
            "title": "Confirm the budget",
            "due_date": "2030-03-01",
            "owner_side": "business",
            "owner_stakeholder": person.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    item = ActionItem.objects.get(pk=response.data["id"])
    assert (item.owner_side, item.owner_stakeholder, item.owner) == (
        OwnerSide.BUSINESS,
        person,
        None,
    )


@pytest.mark.parametrize("method", ["post", "patch"])
def test_it_ignores_status_outside_the_transition_endpoint(brm_api, unit_a, method: str) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    body = {"status": "done", "completed_at": "2026-01-01T00:00:00Z"}
    if method == "post":
        body |= {"unit": unit_a.pk, "title": "New", "due_date": "2030-01-01"}
        response = brm_api.post(url("action-items"), body, format="json")
        item = ActionItem.objects.get(pk=response.data["id"])
    else:
        response = brm_api.patch(url("action-items", item.pk), body, format="json")

    assert response.status_code in {200, 201}
    item.refresh_from_db()
    assert (item.status, item.completed_at) == (ActionStatus.OPEN, None)


# --- Filters, ordering, pagination ------------------------------------------------------------


def test_it_filters_stakeholders_by_unit(brm_api, unit_a, unit_b) -> None:
    mine = StakeholderFactory.create(unit=unit_a)
    StakeholderFactory.create(unit=unit_b)

    assert ids(brm_api.get(url("stakeholders"), {"unit": unit_a.pk})) == {mine.pk}


def test_it_filters_stakeholders_by_role_type(brm_api, unit_a) -> None:
    sponsor = StakeholderFactory.create(unit=unit_a, role_type="sponsor")
    StakeholderFactory.create(unit=unit_a, role_type="user")

    assert ids(brm_api.get(url("stakeholders"), {"role_type": "sponsor"})) == {sponsor.pk}


def test_it_filters_stakeholders_by_influence(brm_api, unit_a) -> None:
    strong = StakeholderFactory.create(unit=unit_a, influence=5)
    StakeholderFactory.create(unit=unit_a, influence=4)

    assert ids(brm_api.get(url("stakeholders"), {"influence": 5})) == {strong.pk}


def test_it_searches_stakeholders_word_by_word(brm_api, unit_a) -> None:
    found = StakeholderFactory.create(unit=unit_a, name="Maria Lopez", job_title="Head of Treasury")
    StakeholderFactory.create(unit=unit_a, name="Maria Chen", job_title="Analyst")

    assert ids(brm_api.get(url("stakeholders"), {"search": "maria treasury"})) == {found.pk}


def test_it_searches_stakeholders_by_unit_name(brm_api, unit_a, unit_b) -> None:
    # Name and title are set so only the unit's name can match "financ".
    found = StakeholderFactory.create(unit=unit_a, name="Ann Lee", job_title="Buyer")
    StakeholderFactory.create(unit=unit_b, name="Bo Kim", job_title="Buyer")

    assert ids(brm_api.get(url("stakeholders"), {"search": "financ"})) == {found.pk}


def test_it_orders_stakeholders_by_descending_influence(brm_api, unit_a) -> None:
    for influence in (2, 5, 1, 4):
        StakeholderFactory.create(unit=unit_a, influence=influence)

    response = brm_api.get(url("stakeholders"), {"ordering": "-influence"})

    assert [row["influence"] for row in response.data["results"]] == [5, 4, 2, 1]


def test_it_filters_overdue_action_items(brm_api, unit_a) -> None:
    today = timezone.localdate()
    late = ActionItemFactory.create(unit=unit_a, due_date=today - timedelta(days=1))
    ActionItemFactory.create(unit=unit_a, due_date=today)
    ActionItemFactory.create(
        unit=unit_a,
        due_date=today - timedelta(days=5),
        status=ActionStatus.DONE,
        completed_at=timezone.now(),
    )

    response = brm_api.get(url("action-items"), {"overdue": "true"})

    assert ids(response) == {late.pk}
    assert response.data["results"][0]["outcome"] == "overdue"


def test_it_filters_action_items_by_status(brm_api, unit_a) -> None:
    dropped = ActionItemFactory.create(unit=unit_a, status=ActionStatus.DROPPED)
    ActionItemFactory.create(unit=unit_a)

    assert ids(brm_api.get(url("action-items"), {"status": "dropped"})) == {dropped.pk}


def test_it_filters_interactions_by_attending_stakeholder(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a)
    met = InteractionFactory.create(unit=unit_a)
    met.attendees.add(person, StakeholderFactory.create(unit=unit_a))
    InteractionFactory.create(unit=unit_a)

    assert ids(brm_api.get(url("interactions"), {"stakeholder": person.pk})) == {met.pk}


def test_it_refuses_a_leader_filtering_by_another_unit(leader_api, unit_b) -> None:
    response = leader_api.get(url("stakeholders"), {"unit": unit_b.pk})

    assert response.status_code == 400
    assert list(response.data) == ["unit"]


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("owner_stakeholder", lambda unit: StakeholderFactory.create(unit=unit)),
        ("interaction", lambda unit: InteractionFactory.create(unit=unit)),
        ("unit", lambda unit: unit),
    ],
)
def test_it_answers_a_leaders_filter_on_another_units_record_as_on_an_unknown_id(
    leader_api, unit_b, field: str, make: Callable[[BusinessUnit], Model]
) -> None:
    hidden = make(unit_b)

    on_hidden = leader_api.get(url("action-items"), {field: hidden.pk})
    on_unknown = leader_api.get(url("action-items"), {field: 10**9})

    assert on_hidden.status_code == on_unknown.status_code == 400
    assert on_hidden.data == on_unknown.data


def test_it_paginates_50_rows_by_default(brm_api, unit_a) -> None:
    Stakeholder.objects.bulk_create(
        Stakeholder(unit=unit_a, name=f"Person {i:03}") for i in range(51)
    )

    response = brm_api.get(url("stakeholders"))

    assert response.data["count"] == 51
    assert len(response.data["results"]) == 50
    assert "page=2" in response.data["next"]


def test_it_serves_the_next_page(brm_api, unit_a) -> None:
    Stakeholder.objects.bulk_create(
        Stakeholder(unit=unit_a, name=f"Person {i:03}") for i in range(25)
    )

    response = brm_api.get(url("stakeholders"), {"page_size": 10, "page": 3})

    assert response.data["count"] == 25
    assert [row["name"] for row in response.data["results"]] == [
        f"Person {i:03}" for i in range(20, 25)
    ]
    assert response.data["next"] is None


def test_it_caps_the_page_size_at_200(brm_api, unit_a) -> None:
    Stakeholder.objects.bulk_create(
        Stakeholder(unit=unit_a, name=f"Person {i:03}") for i in range(201)
    )

    response = brm_api.get(url("stakeholders"), {"page_size": 1000})

    assert response.data["count"] == 201
    assert len(response.data["results"]) == 200


# --- Validation -------------------------------------------------------------------------------


def assert_rejected(response, *fields: str) -> None:
    """400 with a list of messages for exactly these fields."""
    assert response.status_code == 400, response.content
    assert set(response.data) == set(fields), response.data
    for field in fields:
        assert isinstance(response.data[field], list)
        assert all(isinstance(message, str) and message for message in response.data[field])


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("stakeholders", "role_type", "boss"),
        ("stakeholders", "preferred_channel", "pigeon"),
        ("stakeholders", "role_type", "SPONSOR"),  # enums are lower-case
        ("interactions", "kind", "party"),
        ("interactions", "sentiment", 3),
        ("action-items", "owner_side", "vendor"),
    ],
)
def test_it_rejects_a_value_outside_an_enum(brm_api, unit_a, endpoint, field, value) -> None:
    before = register_state()

    response = brm_api.post(
        url(endpoint), create_payload(endpoint, unit_a) | {field: value}, format="json"
    )

    assert_rejected(response, field)
    assert register_state() == before


@pytest.mark.parametrize("influence", [0, 6])
def test_it_rejects_influence_outside_1_to_5(brm_api, unit_a, influence: int) -> None:
    before = register_state()

    response = brm_api.post(
        url("stakeholders"), {"unit": unit_a.pk, "name": "X", "influence": influence}, format="json"
    )

    assert_rejected(response, "influence")
    assert register_state() == before


def test_it_rejects_an_out_of_range_score_on_update(brm_api, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a, interest=3)

    response = brm_api.patch(url("stakeholders", person.pk), {"interest": 6}, format="json")

    assert_rejected(response, "interest")
    person.refresh_from_db()
    assert person.interest == 3


@pytest.mark.parametrize(
    ("endpoint", "required"),
    [
        ("units", {"name", "code"}),
        ("stakeholders", {"unit", "name"}),
        ("interactions", {"unit", "kind", "summary"}),
        ("action-items", {"unit", "title", "due_date"}),
    ],
)
def test_it_reports_every_missing_required_field(
    admin_api, endpoint: str, required: set[str]
) -> None:
    before = register_state()

    response = admin_api.post(url(endpoint), {}, format="json")

    assert_rejected(response, *required)
    assert register_state() == before


@pytest.mark.parametrize("endpoint", ["units", "stakeholders"])
def test_it_rejects_a_name_over_120_characters(admin_api, unit_a, endpoint: str) -> None:
    before = register_state()

    response = admin_api.post(
        url(endpoint), create_payload(endpoint, unit_a) | {"name": "x" * 121}, format="json"
    )

    assert_rejected(response, "name")
    assert register_state() == before


def test_it_accepts_a_name_of_exactly_120_characters(brm_api, unit_a) -> None:
    response = brm_api.post(
        url("stakeholders"), {"unit": unit_a.pk, "name": "x" * 120}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("stakeholders", "unit", 10**9),
        ("interactions", "unit", 10**9),
        ("interactions", "attendees", [10**9]),
        ("interactions", "it_participants", [10**9]),
        ("action-items", "unit", 10**9),
        ("action-items", "owner", 10**9),
        ("action-items", "owner_stakeholder", 10**9),
        ("action-items", "interaction", 10**9),
        ("units", "parent", 10**9),
        ("units", "brm", 10**9),
    ],
)
def test_it_rejects_an_unknown_related_id(admin_api, unit_a, endpoint, field, value) -> None:
    before = register_state()
    payload = create_payload(endpoint, unit_a) | {field: value}
    if field == "owner_stakeholder":
        payload["owner_side"] = "business"

    response = admin_api.post(url(endpoint), payload, format="json")

    assert_rejected(response, field)
    assert register_state() == before


def test_it_rejects_an_attendee_from_another_unit(brm_api, unit_a, unit_b) -> None:
    member, stranger = (
        StakeholderFactory.create(unit=unit_a),
        StakeholderFactory.create(unit=unit_b),
    )
    before = register_state()

    response = brm_api.post(
        url("interactions"),
        create_payload("interactions", unit_a) | {"attendees": [member.pk, stranger.pk]},
        format="json",
    )

    assert_rejected(response, "attendees")
    assert register_state() == before


def test_it_rejects_adding_an_attendee_from_another_unit_on_update(brm_api, unit_a, unit_b) -> None:
    meeting = InteractionFactory.create(unit=unit_a)
    stranger = StakeholderFactory.create(unit=unit_b)

    response = brm_api.patch(
        url("interactions", meeting.pk), {"attendees": [stranger.pk]}, format="json"
    )

    assert_rejected(response, "attendees")
    assert not meeting.attendees.exists()


def test_it_rejects_moving_an_interaction_away_from_its_attendees_unit(
    brm_api, brm, unit_a
) -> None:
    second_unit = BusinessUnitFactory.create(deputy=brm)  # brm may write both units
    meeting = InteractionFactory.create(unit=unit_a)
    meeting.attendees.add(StakeholderFactory.create(unit=unit_a))

    response = brm_api.patch(
        url("interactions", meeting.pk), {"unit": second_unit.pk}, format="json"
    )

    assert_rejected(response, "attendees")
    meeting.refresh_from_db()
    assert meeting.unit == unit_a


def test_it_moves_an_interaction_with_attendees_of_the_new_unit(brm_api, brm, unit_a) -> None:
    second_unit = BusinessUnitFactory.create(deputy=brm)
    meeting = InteractionFactory.create(unit=unit_a)
    meeting.attendees.add(StakeholderFactory.create(unit=unit_a))
    newcomer = StakeholderFactory.create(unit=second_unit)

    response = brm_api.patch(
        url("interactions", meeting.pk),
        {"unit": second_unit.pk, "attendees": [newcomer.pk]},
        format="json",
    )

    assert response.status_code == 200
    meeting.refresh_from_db()
    assert (meeting.unit, list(meeting.attendees.all())) == (second_unit, [newcomer])


def test_it_rejects_a_commitment_owner_from_another_unit(brm_api, unit_a, unit_b) -> None:
    stranger = StakeholderFactory.create(unit=unit_b)
    before = register_state()

    response = brm_api.post(
        url("action-items"),
        create_payload("action-items", unit_a)
        | {"owner_side": "business", "owner_stakeholder": stranger.pk},
        format="json",
    )

    assert_rejected(response, "owner_stakeholder")
    assert register_state() == before


def test_it_rejects_a_commitment_from_another_units_meeting(brm_api, unit_a, unit_b) -> None:
    meeting = InteractionFactory.create(unit=unit_b)
    before = register_state()

    response = brm_api.post(
        url("action-items"),
        create_payload("action-items", unit_a) | {"interaction": meeting.pk},
        format="json",
    )

    assert_rejected(response, "interaction")
    assert register_state() == before


def test_it_rejects_an_it_owner_on_a_business_commitment(brm_api, brm, unit_a) -> None:
    before = register_state()

    response = brm_api.post(
        url("action-items"),
        create_payload("action-items", unit_a) | {"owner_side": "business", "owner": brm.pk},
        format="json",
    )

    assert_rejected(response, "owner")
    assert register_state() == before


def test_it_rejects_an_impossible_due_date(brm_api, unit_a) -> None:
    response = brm_api.post(
        url("action-items"),
        create_payload("action-items", unit_a) | {"due_date": "2030-02-30"},
        format="json",
    )

    assert_rejected(response, "due_date")


def test_it_rejects_a_duplicate_external_id(as_user, integration, unit_a) -> None:
    StakeholderFactory.create(unit=unit_a, external_id="HR-1")
    before = register_state()

    response = as_user(integration).post(
        url("stakeholders"),
        {"unit": unit_a.pk, "name": "Twin", "external_id": "HR-1"},
        format="json",
    )

    assert_rejected(response, "external_id")
    assert register_state() == before


def test_it_rejects_a_duplicate_unit_code(admin_api, unit_a) -> None:
    before = register_state()

    response = admin_api.post(url("units"), {"name": "Finance 2", "code": "fin"}, format="json")

    assert_rejected(response, "code")
    assert register_state() == before


def test_it_rejects_a_deputy_who_is_the_brm(admin_api, brm) -> None:
    response = admin_api.post(
        url("units"),
        {"name": "Legal", "code": "legal", "brm": brm.pk, "deputy": brm.pk},
        format="json",
    )

    assert_rejected(response, "deputy")
    assert not BusinessUnit.objects.exists()


def test_it_rejects_a_unit_below_itself(admin_api, unit_a) -> None:
    child = BusinessUnitFactory.create(parent=unit_a)

    response = admin_api.patch(url("units", unit_a.pk), {"parent": child.pk}, format="json")

    assert_rejected(response, "parent")
    unit_a.refresh_from_db()
    assert unit_a.parent is None


@pytest.mark.parametrize("days", [6, 367])
def test_it_rejects_a_review_cadence_outside_7_to_366_days(admin_api, unit_a, days: int) -> None:
    response = admin_api.patch(
        url("units", unit_a.pk), {"review_cadence_days": days}, format="json"
    )

    assert_rejected(response, "review_cadence_days")
    unit_a.refresh_from_db()
    assert unit_a.review_cadence_days == 90


@pytest.mark.parametrize(
    ("method", "target"),
    [("post", "list"), ("patch", "detail"), ("post", "transition")],
)
def test_it_rejects_a_malformed_json_body(brm_api, unit_a, method: str, target: str) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    path = {
        "list": url("action-items"),
        "detail": url("action-items", item.pk),
        "transition": url("action-items", item.pk, "transition"),
    }[target]
    before = register_state()

    response = getattr(brm_api, method)(path, '{"title": "x",', content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.data["detail"]
    assert register_state() == before


def test_it_answers_415_to_an_unsupported_content_type(brm_api, unit_a) -> None:
    before = register_state()

    response = brm_api.post(
        url("stakeholders"), f"unit={unit_a.pk}&name=Pat", content_type="text/plain"
    )

    assert response.status_code == 415
    assert "detail" in response.data
    assert register_state() == before


@pytest.mark.parametrize("endpoint", ["stakeholders", "interactions", "action-items"])
def test_it_refuses_a_leader_posting_for_another_unit(leader_api, unit_b, endpoint: str) -> None:
    before = register_state()

    response = leader_api.post(url(endpoint), create_payload(endpoint, unit_b), format="json")

    assert response.status_code in {400, 403}
    assert register_state() == before


# --- Never a 500 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("stakeholders/?page=abc", 404),  # DRF: "Invalid page."
        ("stakeholders/?page=0", 404),
        ("stakeholders/?page=999", 404),
        ("stakeholders/?page_size=abc", 200),  # ignored: the default size applies
        ("stakeholders/?page_size=-5", 200),
        ("stakeholders/?unit=abc", 400),
        ("stakeholders/?unit=99999999999999999999", 400),
        ("stakeholders/?ordering=nonexistent", 400),
        ("stakeholders/?influence=abc", 400),
        ("stakeholders/?influence=NaN", 400),
        ("stakeholders/?influence=1e400", 400),
        ("stakeholders/?role_type=boss", 400),
        ("stakeholders/?search=a%00b", 400),  # PostgreSQL refuses NUL bytes: caught first
        ("stakeholders/?search=" + "x" * 2000, 200),
        ("stakeholders/abc/", 404),
        ("stakeholders/99999999999999999999/", 404),
        ("interactions/?stakeholder=abc", 400),
        ("interactions/?occurred_after=yesterday", 400),
        ("interactions/?ordering=notes", 400),
        ("action-items/?overdue=maybe", 200),  # not a boolean: no filter
        ("action-items/?status=closed", 400),
        ("action-items/?due_before=2030-02-30", 400),
        ("action-items/?owner=abc", 400),
        ("units/?brm=abc", 400),
        ("units/?parent=abc", 400),
        ("units/?ordering=-nonexistent", 400),
    ],
)
def test_it_answers_bad_query_strings_without_a_server_error(
    brm_api, unit_a, query: str, status: int
) -> None:
    StakeholderFactory.create(unit=unit_a)

    response = brm_api.get(f"{API}/{query}")

    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("stakeholders", {"unit": "abc", "name": "X"}),
        ("stakeholders", {"unit": [1], "name": "X"}),
        ("stakeholders", {"unit": 99999999999999999999, "name": "X"}),
        ("stakeholders", {"unit": None, "name": "X"}),
        ("stakeholders", {"name": None}),
        ("stakeholders", {"name": "a\x00b"}),
        ("stakeholders", {"name": {"first": "Pat"}}),
        ("stakeholders", {"influence": 10**30}),
        ("stakeholders", {"influence": "high"}),
        ("stakeholders", {"email": "not-an-email"}),
        ("stakeholders", []),
        ("stakeholders", "just a string"),
        ("interactions", {"attendees": "abc"}),
        ("interactions", {"attendees": [99999999999999999999]}),
        ("interactions", {"occurred_at": "yesterday"}),
        ("interactions", {"sentiment": "happy"}),
        ("interactions", {"notes": "x" * 10001}),
        ("action-items", {"due_date": 20300101}),
        ("action-items", {"interaction": "abc"}),
        ("units", {"code": "not a slug!"}),
        ("units", {"review_cadence_days": -1}),
    ],
)
def test_it_answers_bad_bodies_without_a_server_error(admin_api, unit_a, endpoint, body) -> None:
    payload = create_payload(endpoint, unit_a) | body if isinstance(body, dict) else body
    before = register_state()

    response = admin_api.post(url(endpoint), payload, format="json")

    assert response.status_code == 400, response.content
    assert register_state() == before


# --- Private notes ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["list", "retrieve"])
def test_it_never_shows_interaction_notes_to_leaders(leader_api, unit_a, view: str) -> None:
    meeting = InteractionFactory.create(unit=unit_a, notes="Sponsor is about to leave")

    response = call(leader_api, "interactions", view, meeting, unit_a)

    assert response.status_code == 200
    row = response.data["results"][0] if view == "list" else response.data
    assert row["id"] == meeting.pk
    assert "notes" not in row
    assert b"about to leave" not in response.content


@pytest.mark.parametrize("persona", ["brm", "other_brm", "executive", "integration"])
def test_it_shows_interaction_notes_to_the_it_side(request, as_user, unit_a, persona: str) -> None:
    meeting = InteractionFactory.create(unit=unit_a, notes="Sponsor is about to leave")

    response = as_user(request.getfixturevalue(persona)).get(url("interactions", meeting.pk))

    assert response.data["notes"] == "Sponsor is about to leave"


def test_it_does_not_let_leaders_search_interaction_notes(leader_api, unit_a) -> None:
    InteractionFactory.create(
        unit=unit_a, summary="Quarterly review", notes="Sponsor is about to leave"
    )

    response = leader_api.get(url("interactions"), {"search": "leave"})

    assert response.data["count"] == 0


# --- Query counts -----------------------------------------------------------------------------


def add_row(endpoint: str, unit: BusinessUnit) -> None:
    """One more row of `endpoint`, with every relation the list shows filled in (N+1 bait)."""
    brm = unit.brm
    if endpoint == "units":
        BusinessUnitFactory.create(brm=brm, deputy=UserFactory.create(), parent=unit)
    elif endpoint == "stakeholders":
        person = StakeholderFactory.create(unit=unit)
        InteractionFactory.create(unit=unit).attendees.add(person)
    elif endpoint == "interactions":
        meeting = InteractionFactory.create(unit=unit, logged_by=brm)
        meeting.attendees.add(
            StakeholderFactory.create(unit=unit), StakeholderFactory.create(unit=unit)
        )
        meeting.it_participants.add(brm)  # type: ignore[arg-type]  # the unit has a BRM
    elif ActionItem.objects.count() % 2:
        ActionItemFactory.create(
            unit=unit,
            owner_side=OwnerSide.BUSINESS,
            owner_stakeholder=StakeholderFactory.create(unit=unit),
        )
    else:
        ActionItemFactory.create(
            unit=unit, owner=brm, interaction=InteractionFactory.create(unit=unit)
        )


def fill(endpoint: str, unit: BusinessUnit, total: int) -> None:
    model = MODELS[endpoint]
    while model.objects.count() < total:
        add_row(endpoint, unit)
    assert model.objects.count() == total


# A list request with a fresh token, whatever the number of rows:
#   1. SELECT the token with its user and the user's role (BearerTokenAuthentication;
#      issue 14: the role was a query of its own, role_of reading the groups)
#   2. UPDATE the token's last_used_at (its first use)
#   3. SELECT COUNT(*) (pagination)
#   4. SELECT the page: units with their parent; stakeholders with their unit and the
#      last-met subquery; action items with unit, owners and meeting joined
# and for interactions two prefetches:
#   5. SELECT the attendees of the page's interactions
#   6. SELECT the IT participants of the page's interactions
LIST_QUERIES = {"units": 4, "stakeholders": 4, "interactions": 6, "action-items": 4}


@pytest.mark.parametrize("endpoint", list(LIST_QUERIES))
def test_it_lists_in_the_same_number_of_queries_for_5_and_50_rows(
    as_user, brm, unit_a, django_assert_num_queries, endpoint: str
) -> None:
    fill(endpoint, unit_a, 5)
    client = as_user(brm)  # a fresh token each time: its first use writes last_used_at

    with django_assert_num_queries(LIST_QUERIES[endpoint]) as at_5:
        response = client.get(url(endpoint))
    assert response.data["count"] == 5

    fill(endpoint, unit_a, 50)
    client = as_user(brm)

    with django_assert_num_queries(len(at_5)):
        response = client.get(url(endpoint))
    assert response.data["count"] == len(response.data["results"]) == 50


def test_it_lists_for_a_leader_with_no_more_queries_than_for_it(
    as_user, leader, unit_a, unit_b, django_assert_num_queries
) -> None:
    fill("interactions", unit_b, 3)
    fill("interactions", unit_a, 6)
    client = as_user(leader)

    # The 6 of LIST_QUERIES: the leader's unit comes with their token's user (its register row
    # is joined, USER_JOINS), so scoping to it costs no query of its own. Issue 14: was 8.
    with django_assert_num_queries(LIST_QUERIES["interactions"]):
        response = client.get(url("interactions"))

    assert response.data["count"] == 3


# --- Commitment transitions -------------------------------------------------------------------


def transition(client: APIClient, item: ActionItem, action: str, reason: str | None = None):
    body = {"action": action} | ({"reason": reason} if reason is not None else {})
    return client.post(url("action-items", item.pk, "transition"), body, format="json")


def test_it_completes_an_action_item(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    before = timezone.now()

    response = transition(brm_api, item, "complete")

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert before <= item.completed_at <= timezone.now()
    assert (response.data["status"], response.data["outcome"]) == ("done", "on_time")
    assert response.data["completed_at"] is not None


def test_it_marks_a_late_completion(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))

    response = transition(brm_api, item, "complete")

    assert response.data["outcome"] == "late"


def test_it_answers_409_to_completing_twice(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    transition(brm_api, item, "complete")
    item.refresh_from_db()
    first_completion = item.completed_at

    response = transition(brm_api, item, "complete")

    assert response.status_code == 409
    assert "already done" in response.data["detail"]
    item.refresh_from_db()
    assert item.completed_at == first_completion


def test_it_requires_a_reason_to_drop(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    for reason in (None, "", "   "):
        response = transition(brm_api, item, "drop", reason)

        assert_rejected(response, "reason")
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_it_drops_an_action_item_keeping_the_reason_in_its_history(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    response = transition(brm_api, item, "drop", "Superseded by the new contract")

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.status, item.completed_at) == (ActionStatus.DROPPED, None)
    assert item.history.first().history_change_reason == "Superseded by the new contract"


def test_it_answers_409_to_dropping_a_done_item(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    transition(brm_api, item, "complete")

    response = transition(brm_api, item, "drop", "Changed our minds")

    assert response.status_code == 409
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE


@pytest.mark.parametrize("first", ["complete", "drop"])
def test_it_reopens_a_closed_action_item(brm_api, unit_a, first: str) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    transition(brm_api, item, first, "No longer needed")

    response = transition(brm_api, item, "reopen")

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.status, item.completed_at) == (ActionStatus.OPEN, None)
    assert response.data["status"] == "open"


def test_it_answers_409_to_reopening_an_open_item(brm_api, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    response = transition(brm_api, item, "reopen")

    assert response.status_code == 409


@pytest.mark.parametrize("action", ["finish", "", None])
def test_it_rejects_an_unknown_transition(brm_api, unit_a, action: str | None) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    response = brm_api.post(
        url("action-items", item.pk, "transition"), {"action": action}, format="json"
    )

    assert_rejected(response, "action")
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_it_forbids_a_leader_to_transition_another_units_item(as_user, leader_b, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    response = transition(as_user(leader_b), item, "complete")

    assert response.status_code == 403  # leaders may not write at all, whatever the id
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


# --- BRM handover -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "integration"])
def test_it_records_a_handover_when_the_brm_is_reassigned(
    request, as_user, brm, other_brm, unit_a, django_capture_on_commit_callbacks, persona: str
) -> None:
    actor = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = as_user(actor).patch(
            url("units", unit_a.pk), {"brm": other_brm.pk}, format="json"
        )

    assert response.status_code == 200
    assert response.data["brm"] == other_brm.pk
    unit_a.refresh_from_db()
    assert unit_a.brm == other_brm
    handover = Handover.objects.get(unit=unit_a)
    assert (handover.from_brm, handover.to_brm, handover.handed_over_by) == (
        brm,
        other_brm,
        actor,
    )
    assert handover.pack_sent_at is None
    assert len(callbacks) == 1


def test_it_queues_the_handover_pack_for_the_new_brm_after_commit(
    admin_api, other_brm, unit_a, django_capture_on_commit_callbacks
) -> None:
    with mock.patch.object(delivery.deliver_email, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            admin_api.patch(url("units", unit_a.pk), {"brm": other_brm.pk}, format="json")
        delay.assert_not_called()  # nothing is queued before the transaction commits
        assert len(callbacks) == 1

        callbacks[0]()

    handover = Handover.objects.get(unit=unit_a)
    delay.assert_called_once_with(
        OutboundEmail.objects.get(key=f"stakeholders.handover_pack:{handover.pk}").pk
    )


def test_it_keeps_other_changes_made_with_a_reassignment(admin_api, other_brm, unit_a) -> None:
    response = admin_api.patch(
        url("units", unit_a.pk), {"brm": other_brm.pk, "description": "Moved"}, format="json"
    )

    assert response.status_code == 200
    unit_a.refresh_from_db()
    assert (unit_a.brm, unit_a.description) == (other_brm, "Moved")


def test_it_promotes_the_deputy_who_becomes_brm(admin_api, other_brm, unit_a) -> None:
    unit_a.deputy = other_brm
    unit_a.save()

    response = admin_api.patch(url("units", unit_a.pk), {"brm": other_brm.pk}, format="json")

    assert response.status_code == 200
    unit_a.refresh_from_db()
    assert (unit_a.brm, unit_a.deputy) == (other_brm, None)


def test_it_queues_no_pack_when_a_unit_is_left_without_brm(
    admin_api, brm, unit_a, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_api.patch(url("units", unit_a.pk), {"brm": None}, format="json")

    assert response.status_code == 200
    handover = Handover.objects.get(unit=unit_a)
    assert (handover.from_brm, handover.to_brm) == (brm, None)
    assert callbacks == []


def test_it_records_no_handover_when_the_brm_is_unchanged(admin_api, brm, unit_a) -> None:
    response = admin_api.patch(
        url("units", unit_a.pk), {"brm": brm.pk, "description": "Same BRM"}, format="json"
    )

    assert response.status_code == 200
    assert not Handover.objects.exists()


def test_it_forbids_a_brm_to_hand_their_unit_over(
    brm_api, brm, other_brm, unit_a, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = brm_api.patch(url("units", unit_a.pk), {"brm": other_brm.pk}, format="json")

    assert response.status_code == 403
    unit_a.refresh_from_db()
    assert unit_a.brm == brm
    assert not Handover.objects.exists()
    assert callbacks == []


def test_it_lets_a_brm_resend_their_own_id_when_editing_their_unit(brm_api, brm, unit_a) -> None:
    response = brm_api.patch(
        url("units", unit_a.pk), {"brm": brm.pk, "description": "Updated"}, format="json"
    )

    assert response.status_code == 200
    unit_a.refresh_from_db()
    assert (unit_a.brm, unit_a.description) == (brm, "Updated")
    assert not Handover.objects.exists()
