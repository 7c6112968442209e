"""Who may change the register is decided in the services themselves.

Every test calls a service directly (no view, no serializer), so the rule is proven to live where
any new entry point (a view, an API action, an admin action, a job) must pass through it. A
refused call raises `ForbiddenAction` and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brm.core.errors import ForbiddenAction, InputError
from stakeholders import permissions, services
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    BusinessUnit,
    Handover,
    Interaction,
    Stakeholder,
)
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    InteractionFactory,
    StakeholderFactory,
)

# Who may change unit A's relationship records: its BRM, administrators, integrations.
UNIT_WRITERS = ["brm", "admin_user", "integration"]
UNIT_READERS = ["other_brm", "executive", "leader", "no_role_user"]


def _meeting_fields() -> dict:
    return {"kind": "meeting", "occurred_at": timezone.now(), "summary": "Quarterly catch-up"}


def _promise() -> services.CommitmentInput:
    return services.CommitmentInput(
        title="Share the capacity plan", due_date=timezone.localdate() + timedelta(days=14)
    )


# --- Meetings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", UNIT_WRITERS)
def test_it_lets_the_units_writers_log_a_meeting(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    services.log_interaction(unit_a, actor=actor, fields=_meeting_fields())

    assert Interaction.objects.filter(unit=unit_a).count() == 1
    assert permissions.may_log_interaction(actor, unit_a)


@pytest.mark.parametrize("persona", UNIT_READERS)
def test_it_refuses_a_meeting_to_read_only_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.log_interaction(
            unit_a, actor=actor, fields=_meeting_fields(), commitments=[_promise()]
        )

    assert not Interaction.objects.exists()
    assert not ActionItem.objects.exists()
    assert not permissions.may_log_interaction(actor, unit_a)


@pytest.mark.parametrize("persona", ["other_brm", "executive", "leader"])
def test_it_refuses_editing_or_deleting_a_meeting_to_read_only_roles(
    request, persona, unit_a
) -> None:
    actor = request.getfixturevalue(persona)
    meeting = InteractionFactory.create(unit=unit_a, summary="Before")

    with pytest.raises(ForbiddenAction):
        services.update_interaction(meeting, actor=actor, fields={"summary": "After"})
    with pytest.raises(ForbiddenAction):
        services.delete_record(meeting, actor=actor)

    assert Interaction.objects.get(pk=meeting.pk).summary == "Before"


def test_it_lets_the_units_brm_edit_a_meeting_but_not_move_it_out_of_reach(
    brm, unit_a, unit_b
) -> None:
    meeting = InteractionFactory.create(unit=unit_a, summary="Before")

    services.update_interaction(meeting, actor=brm, fields={"summary": "After"})
    with pytest.raises(ForbiddenAction):
        services.update_interaction(meeting, actor=brm, fields={"unit": unit_b})

    assert Interaction.objects.get(pk=meeting.pk).unit == unit_a
    assert Interaction.objects.get(pk=meeting.pk).summary == "After"


@pytest.mark.parametrize("persona", ["other_brm", "executive", "leader"])
def test_it_refuses_deleting_people_and_promises_to_read_only_roles(
    request, persona, unit_a
) -> None:
    actor = request.getfixturevalue(persona)
    person, item = StakeholderFactory.create(unit=unit_a), ActionItemFactory.create(unit=unit_a)

    for record in (person, item):
        with pytest.raises(ForbiddenAction):
            services.delete_record(record, actor=actor)

    assert Stakeholder.objects.filter(pk=person.pk).exists()
    assert ActionItem.objects.filter(pk=item.pk).exists()


def test_it_lets_the_units_brm_delete_a_promise(brm, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a)

    services.delete_record(item, actor=brm)

    assert not ActionItem.objects.filter(pk=item.pk).exists()


# --- Commitments -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", UNIT_WRITERS)
def test_it_lets_the_units_writers_record_a_promise(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    item = services.make_commitment(unit_a, _promise(), actor=actor)

    assert item.pk is not None and item.unit == unit_a


def test_it_lets_the_system_record_a_promise(unit_a) -> None:
    item = services.make_commitment(unit_a, _promise(), actor=None)

    assert item.pk is not None


@pytest.mark.parametrize("persona", UNIT_READERS)
def test_it_refuses_a_promise_to_read_only_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.make_commitment(unit_a, _promise(), actor=actor)

    assert not ActionItem.objects.exists()


@pytest.mark.parametrize("operation", ["complete", "drop", "reopen"])
@pytest.mark.parametrize("persona", UNIT_READERS)
def test_it_refuses_status_changes_of_a_promise_to_read_only_roles(
    request, persona, operation, unit_a
) -> None:
    actor = request.getfixturevalue(persona)
    status = ActionStatus.DONE if operation == "reopen" else ActionStatus.OPEN
    done_at = timezone.now() if status == ActionStatus.DONE else None
    item = ActionItemFactory.create(unit=unit_a, status=status, completed_at=done_at)
    calls = {
        "complete": lambda: services.complete_action_item(item, actor=actor),
        "drop": lambda: services.drop_action_item(item, actor=actor, reason="No budget"),
        "reopen": lambda: services.reopen_action_item(item, actor=actor),
    }

    with pytest.raises(ForbiddenAction):
        calls[operation]()

    item.refresh_from_db()
    assert item.status == status
    assert not permissions.may_change_commitment(actor, item)


@pytest.mark.parametrize("persona", UNIT_WRITERS)
def test_it_lets_the_units_writers_complete_a_promise(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)
    item = ActionItemFactory.create(unit=unit_a)

    services.complete_action_item(item, actor=actor)

    item.refresh_from_db()
    assert item.status == ActionStatus.DONE


def test_it_refuses_edits_to_another_units_promise(other_brm, unit_a) -> None:
    item = ActionItemFactory.create(unit=unit_a, title="Before")
    item.title = "After"

    with pytest.raises(ForbiddenAction):
        services.update_commitment(item, actor=other_brm)

    assert ActionItem.objects.get(pk=item.pk).title == "Before"


def test_it_refuses_moving_a_promise_to_a_unit_the_brm_does_not_manage(brm, unit_a, unit_b) -> None:
    item = ActionItemFactory.create(unit=unit_a)
    item.unit = unit_b

    with pytest.raises(ForbiddenAction):
        services.update_commitment(item, actor=brm)

    assert ActionItem.objects.get(pk=item.pk).unit == unit_a


# --- The register ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", UNIT_WRITERS)
def test_it_lets_the_units_writers_add_a_person(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    services.save_stakeholder(Stakeholder(unit=unit_a, name="Nia New"), actor=actor)

    assert Stakeholder.objects.filter(name="Nia New").exists()


@pytest.mark.parametrize("persona", UNIT_READERS)
def test_it_refuses_a_new_person_to_read_only_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.save_stakeholder(Stakeholder(unit=unit_a, name="Nia New"), actor=actor)

    assert not Stakeholder.objects.filter(name="Nia New").exists()


def test_it_refuses_moving_a_person_out_of_reach(brm, unit_a, unit_b) -> None:
    person = StakeholderFactory.create(unit=unit_a)
    person.unit = unit_b

    with pytest.raises(ForbiddenAction):
        services.save_stakeholder(person, actor=brm)

    assert Stakeholder.objects.get(pk=person.pk).unit == unit_a


def test_it_refuses_editing_another_brms_person(other_brm, unit_a) -> None:
    person = StakeholderFactory.create(unit=unit_a, name="Before")
    person.name = "After"

    with pytest.raises(ForbiddenAction):
        services.save_stakeholder(person, actor=other_brm)

    assert Stakeholder.objects.get(pk=person.pk).name == "Before"


@pytest.mark.parametrize("persona", ["admin_user", "integration"])
def test_it_lets_administrators_and_integrations_create_units(request, persona) -> None:
    actor = request.getfixturevalue(persona)

    services.save_unit(BusinessUnit(name="Legal", code="leg"), actor=actor)

    assert BusinessUnit.objects.filter(code="leg").exists()


@pytest.mark.parametrize("persona", ["brm", "executive", "leader"])
def test_it_refuses_creating_or_deleting_units_to_other_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.save_unit(BusinessUnit(name="Legal", code="leg"), actor=actor)
    with pytest.raises(ForbiddenAction):
        services.delete_unit(unit_a, actor=actor)

    assert not BusinessUnit.objects.filter(code="leg").exists()
    assert BusinessUnit.objects.filter(pk=unit_a.pk).exists()


def test_it_lets_a_brm_change_their_own_unit_but_not_anothers(brm, unit_a, unit_b) -> None:
    unit_a.description = "Mine"
    services.save_unit(unit_a, actor=brm)
    unit_b.description = "Not mine"

    with pytest.raises(ForbiddenAction):
        services.save_unit(unit_b, actor=brm)

    assert BusinessUnit.objects.get(pk=unit_a.pk).description == "Mine"
    assert BusinessUnit.objects.get(pk=unit_b.pk).description != "Not mine"


# --- Handovers ---------------------------------------------------------------------------------


def test_it_lets_an_administrator_hand_a_unit_over(admin_user, other_brm, unit_a) -> None:
    handover = services.reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)

    assert handover is not None
    assert BusinessUnit.objects.get(pk=unit_a.pk).brm == other_brm


@pytest.mark.parametrize("persona", ["brm", "other_brm", "executive", "leader"])
def test_it_refuses_a_handover_to_other_roles(request, persona, brm, other_brm, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.reassign_brm(unit_a, new_brm=other_brm, actor=actor)

    assert BusinessUnit.objects.get(pk=unit_a.pk).brm == brm
    assert not Handover.objects.exists()
    assert not permissions.may_reassign_brm(actor, unit_a)


# --- Through the API: the service's refusal is a 403 ---------------------------------------------


def test_the_api_answers_403_when_a_brm_hands_their_unit_away(
    as_user, brm, other_brm, unit_a
) -> None:
    response = as_user(brm).patch(
        f"/api/v1/units/{unit_a.pk}/", {"brm": other_brm.pk}, format="json"
    )

    assert response.status_code == 403
    assert BusinessUnit.objects.get(pk=unit_a.pk).brm == brm


# --- A unit's staffing and place in the tree (issue 12) ---------------------------------------


@pytest.mark.parametrize("persona", ["leader", "executive", "integration", "no_role_user"])
def test_nobody_makes_someone_outside_relationship_management_a_deputy(
    request, persona, brm, admin_user, unit_a
) -> None:
    candidate = request.getfixturevalue(persona)
    for actor in (brm, admin_user):
        unit = BusinessUnit.objects.get(pk=unit_a.pk)
        unit.deputy = candidate

        with pytest.raises(InputError) as refused:
            services.save_unit(unit, actor=actor)

        assert refused.value.field == "deputy"
    assert BusinessUnit.objects.get(pk=unit_a.pk).deputy is None
    assert not permissions.may_manage_relationship(candidate)


@pytest.mark.parametrize("persona", ["other_brm", "admin_user"])
def test_a_brm_names_another_relationship_manager_their_deputy(
    request, persona, brm, unit_a
) -> None:
    unit = BusinessUnit.objects.get(pk=unit_a.pk)
    unit.deputy = request.getfixturevalue(persona)

    services.save_unit(unit, actor=brm)

    assert BusinessUnit.objects.get(pk=unit_a.pk).deputy == unit.deputy


def test_an_old_deputy_does_not_block_other_edits(brm, leader, unit_a) -> None:
    BusinessUnit.objects.filter(pk=unit_a.pk).update(deputy=leader)  # stored before the rule
    unit = BusinessUnit.objects.get(pk=unit_a.pk)
    unit.description = "Finance and treasury"

    services.save_unit(unit, actor=brm)

    assert BusinessUnit.objects.get(pk=unit_a.pk).description == "Finance and treasury"


def test_a_handover_goes_to_a_relationship_manager_only(admin_user, leader, unit_a) -> None:
    with pytest.raises(InputError):
        services.reassign_brm(unit_a, new_brm=leader, actor=admin_user)

    assert not Handover.objects.exists()


def test_a_brm_moves_a_unit_only_under_a_unit_they_manage(brm, unit_a, unit_b) -> None:
    own_parent = BusinessUnitFactory.create(name="Group finance", code="gfin", brm=brm)
    unit = BusinessUnit.objects.get(pk=unit_a.pk)
    unit.parent = unit_b

    with pytest.raises(InputError) as refused:
        services.save_unit(unit, actor=brm)
    unit.parent = own_parent
    services.save_unit(unit, actor=brm)

    assert refused.value.field == "parent"
    assert BusinessUnit.objects.get(pk=unit_a.pk).parent == own_parent


def test_a_brm_does_not_take_a_unit_from_under_another_brms_unit(brm, unit_a, unit_b) -> None:
    BusinessUnit.objects.filter(pk=unit_a.pk).update(parent=unit_b)
    unit = BusinessUnit.objects.get(pk=unit_a.pk)
    unit.parent = None

    with pytest.raises(InputError):
        services.save_unit(unit, actor=brm)

    assert BusinessUnit.objects.get(pk=unit_a.pk).parent == unit_b


@pytest.mark.parametrize("persona", ["admin_user", "integration"])
def test_administrators_and_integrations_place_units_anywhere(
    request, persona, unit_a, unit_b
) -> None:
    unit = BusinessUnit.objects.get(pk=unit_a.pk)
    unit.parent = unit_b

    services.save_unit(unit, actor=request.getfixturevalue(persona))

    assert BusinessUnit.objects.get(pk=unit_a.pk).parent == unit_b


def test_the_api_answers_400_on_the_field(as_user, brm, leader, other_brm, unit_a, unit_b) -> None:
    client = as_user(brm)

    deputy = client.patch(f"/api/v1/units/{unit_a.pk}/", {"deputy": leader.pk}, format="json")
    parent = client.patch(f"/api/v1/units/{unit_a.pk}/", {"parent": unit_b.pk}, format="json")
    fine = client.patch(f"/api/v1/units/{unit_a.pk}/", {"deputy": other_brm.pk}, format="json")

    assert deputy.status_code == 400 and "deputy" in deputy.json()
    assert parent.status_code == 400 and "parent" in parent.json()
    assert fine.status_code == 200
    stored = BusinessUnit.objects.get(pk=unit_a.pk)
    assert (stored.deputy, stored.parent) == (other_brm, None)


def test_the_admin_offers_only_relationship_staff_and_refuses_a_leader(
    client, admin_user, brm, leader, unit_a
) -> None:
    client.force_login(admin_user)
    url = f"/admin/stakeholders/businessunit/{unit_a.pk}/change/"

    form = client.get(url).context["adminform"].form
    response = client.post(
        url,
        {
            "name": unit_a.name,
            "code": unit_a.code,
            "brm": brm.pk,
            "deputy": leader.pk,
            "review_cadence_days": unit_a.review_cadence_days,
            "active": "on",
        },
    )

    assert leader not in form.fields["deputy"].queryset
    assert brm in form.fields["deputy"].queryset
    assert response.status_code == 200  # the form again, with its error
    assert BusinessUnit.objects.get(pk=unit_a.pk).deputy is None
