"""Model rules: commitment outcomes, validation, database constraints and the access querysets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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

# Every date-dependent test runs on Monday 10 March 2025 at noon UTC.
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _item(**kwargs) -> ActionItem:
    """An unsaved commitment: the outcome properties need no database."""
    kwargs.setdefault("title", "Fix the VPN")
    kwargs.setdefault("status", ActionStatus.OPEN)
    return ActionItem(**kwargs)


# --- ActionItem outcome -----------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
class TestActionItemOutcome:
    def test_it_is_open_when_due_later(self) -> None:
        item = _item(due_date=date(2025, 3, 20))
        assert item.outcome == "open"
        assert item.is_overdue is False
        assert item.days_overdue == 0

    def test_it_is_not_overdue_on_the_due_date_itself(self) -> None:
        item = _item(due_date=TODAY)
        assert item.outcome == "open"
        assert item.is_overdue is False

    def test_it_is_overdue_the_day_after_the_due_date(self) -> None:
        item = _item(due_date=date(2025, 3, 9))
        assert item.outcome == "overdue"
        assert item.is_overdue is True
        assert item.days_overdue == 1

    def test_it_counts_days_overdue(self) -> None:
        item = _item(due_date=date(2025, 2, 28))
        assert item.days_overdue == 10

    def test_it_is_on_time_when_done_on_the_due_date(self) -> None:
        item = _item(
            due_date=date(2025, 3, 1),
            status=ActionStatus.DONE,
            completed_at=datetime(2025, 3, 1, 23, 30, tzinfo=UTC),
        )
        assert item.outcome == "on_time"
        assert item.done_late is False

    def test_it_is_on_time_when_done_early(self) -> None:
        item = _item(
            due_date=date(2025, 3, 20),
            status=ActionStatus.DONE,
            completed_at=datetime(2025, 3, 5, 9, 0, tzinfo=UTC),
        )
        assert item.outcome == "on_time"

    def test_it_is_late_when_done_after_the_due_date(self) -> None:
        item = _item(
            due_date=date(2025, 3, 1),
            status=ActionStatus.DONE,
            completed_at=datetime(2025, 3, 2, 0, 30, tzinfo=UTC),
        )
        assert item.outcome == "late"
        assert item.done_late is True

    def test_a_done_item_is_never_overdue(self) -> None:
        item = _item(
            due_date=date(2025, 1, 1),
            status=ActionStatus.DONE,
            completed_at=datetime(2025, 2, 1, 12, 0, tzinfo=UTC),
        )
        assert item.is_overdue is False
        assert item.days_overdue == 0

    def test_it_is_dropped_whatever_the_due_date(self) -> None:
        item = _item(due_date=date(2025, 1, 1), status=ActionStatus.DROPPED)
        assert item.outcome == "dropped"
        assert item.is_overdue is False
        assert item.done_late is False

    def test_an_open_item_is_not_done_late(self) -> None:
        assert _item(due_date=date(2025, 1, 1)).done_late is False

    def test_the_overdue_queryset_agrees_with_is_overdue(self, unit_a):
        late = ActionItemFactory.create(unit=unit_a, due_date=date(2025, 3, 9))
        ActionItemFactory.create(unit=unit_a, due_date=TODAY)
        ActionItemFactory.create(
            unit=unit_a, due_date=date(2025, 3, 1), status=ActionStatus.DROPPED
        )
        assert list(ActionItem.objects.overdue()) == [late]


def test_it_names_the_owner(brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Olga Owner")
    assert _item(owner_side=OwnerSide.IT, owner=brm).owner_name == "Bianca Reyes"
    business = _item(owner_side=OwnerSide.BUSINESS, owner_stakeholder=person)
    assert business.owner_name == "Olga Owner"
    assert _item(owner_side=OwnerSide.IT).owner_name == "IT"
    assert _item(owner_side=OwnerSide.BUSINESS).owner_name == "Business"


# --- clean() ----------------------------------------------------------------------------------


def test_it_rejects_a_business_owner_from_another_unit(unit_a, unit_b):
    outsider = StakeholderFactory.create(unit=unit_b)
    item = _item(
        unit=unit_a, owner_side=OwnerSide.BUSINESS, owner_stakeholder=outsider, due_date=TODAY
    )
    with pytest.raises(ValidationError) as exc:
        item.clean()
    assert exc.value.message_dict == {
        "owner_stakeholder": ["The owner must belong to the same business unit."]
    }


def test_it_accepts_a_business_owner_from_the_same_unit(unit_a):
    insider = StakeholderFactory.create(unit=unit_a)
    _item(
        unit=unit_a, owner_side=OwnerSide.BUSINESS, owner_stakeholder=insider, due_date=TODAY
    ).clean()


def test_it_rejects_an_it_owner_on_a_business_commitment(unit_a, brm):
    item = _item(unit=unit_a, owner_side=OwnerSide.BUSINESS, owner=brm, due_date=TODAY)
    with pytest.raises(ValidationError) as exc:
        item.clean()
    assert "owner" in exc.value.message_dict


def test_it_rejects_a_stakeholder_owner_on_an_it_commitment(unit_a):
    person = StakeholderFactory.create(unit=unit_a)
    item = _item(unit=unit_a, owner_side=OwnerSide.IT, owner_stakeholder=person, due_date=TODAY)
    with pytest.raises(ValidationError) as exc:
        item.clean()
    assert "owner_stakeholder" in exc.value.message_dict


def test_it_rejects_the_brm_as_their_own_deputy(unit_a, brm):
    unit_a.deputy = brm
    with pytest.raises(ValidationError) as exc:
        unit_a.clean()
    assert exc.value.message_dict == {"deputy": ["The deputy must be someone other than the BRM."]}


def test_it_accepts_a_different_deputy(unit_a, other_brm):
    unit_a.deputy = other_brm
    unit_a.clean()


def test_it_rejects_a_unit_as_its_own_parent(unit_a):
    unit_a.parent = unit_a
    with pytest.raises(ValidationError) as exc:
        unit_a.clean()
    assert exc.value.message_dict == {"parent": ["A unit cannot sit below itself."]}


def test_it_rejects_a_cycle_through_the_tree(db):
    top = BusinessUnitFactory.create()
    middle = BusinessUnitFactory.create(parent=top)
    bottom = BusinessUnitFactory.create(parent=middle)
    top.parent = bottom
    with pytest.raises(ValidationError) as exc:
        top.clean()
    assert "parent" in exc.value.message_dict


def test_it_accepts_a_proper_tree(db):
    top = BusinessUnitFactory.create()
    middle = BusinessUnitFactory.create(parent=top)
    BusinessUnitFactory.create(parent=middle).clean()


# --- Database constraints ---------------------------------------------------------------------


def _violates(create):
    # The savepoint keeps the test's transaction usable after the expected error.
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize("field", ["influence", "interest"])
@pytest.mark.parametrize("value", [0, 6])
def test_the_database_refuses_scores_outside_1_to_5(unit_a, field, value):
    _violates(lambda: Stakeholder.objects.create(unit=unit_a, name="X", **{field: value}))


def test_the_database_refuses_influence_6_even_through_update(unit_a):
    person = StakeholderFactory.create(unit=unit_a)
    _violates(lambda: Stakeholder.objects.filter(pk=person.pk).update(influence=6))


@pytest.mark.parametrize("sentiment", [-3, 3])
def test_the_database_refuses_sentiment_outside_range(unit_a, sentiment):
    _violates(
        lambda: Interaction.objects.create(
            unit=unit_a, kind="call", summary="x", sentiment=sentiment
        )
    )


def test_the_database_refuses_done_without_completed_at(unit_a):
    _violates(
        lambda: ActionItem.objects.create(
            unit=unit_a, title="x", due_date=TODAY, status=ActionStatus.DONE
        )
    )


@pytest.mark.parametrize("days", [6, 367])
def test_the_database_refuses_a_review_cadence_out_of_range(db, days):
    _violates(lambda: BusinessUnit.objects.create(name="X", code="x", review_cadence_days=days))


# --- Stakeholder.quadrant ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("influence", "interest", "quadrant"),
    [
        (5, 5, "Manage closely"),
        (4, 4, "Manage closely"),
        (5, 3, "Keep satisfied"),
        (4, 1, "Keep satisfied"),
        (3, 4, "Keep informed"),
        (1, 5, "Keep informed"),
        (3, 3, "Monitor"),
        (1, 1, "Monitor"),
    ],
)
def test_it_places_a_stakeholder_in_a_quadrant(influence, interest, quadrant):
    assert Stakeholder(influence=influence, interest=interest).quadrant == quadrant


# --- visible_to / editable_by -----------------------------------------------------------------


@pytest.fixture
def records(unit_a, unit_b):
    """One of each unit-scoped record in both units."""
    out = {}
    for key, unit in (("a", unit_a), ("b", unit_b)):
        out[key] = {
            "unit": unit,
            "stakeholder": StakeholderFactory.create(unit=unit),
            "interaction": InteractionFactory.create(unit=unit),
            "action": ActionItemFactory.create(unit=unit),
            "handover": Handover.objects.create(unit=unit),
        }
    return out


MODELS = {
    "unit": BusinessUnit,
    "stakeholder": Stakeholder,
    "interaction": Interaction,
    "action": ActionItem,
    "handover": Handover,
}


@pytest.mark.parametrize(
    ("persona", "visible", "editable"),
    [
        ("admin_user", {"a", "b"}, {"a", "b"}),
        ("integration", {"a", "b"}, {"a", "b"}),
        ("brm", {"a", "b"}, {"a"}),
        ("other_brm", {"a", "b"}, {"b"}),
        ("executive", {"a", "b"}, set()),
        ("leader", {"a"}, set()),
        ("leader_b", {"b"}, set()),
        ("no_role_user", set(), set()),
    ],
)
@pytest.mark.parametrize("kind", list(MODELS))
def test_it_scopes_querysets_per_persona(request, records, persona, visible, editable, kind):
    user = request.getfixturevalue(persona)
    model: Any = MODELS[kind]  # a model class with its own manager
    # Only the two records made here count (leaders' own Stakeholder rows also exist).
    by_pk = {records[side][kind].pk: side for side in ("a", "b")}
    seen = {
        by_pk[pk]
        for pk in model.objects.visible_to(user).filter(pk__in=by_pk).values_list("pk", flat=True)
    }
    changeable = {
        by_pk[pk]
        for pk in model.objects.editable_by(user).filter(pk__in=by_pk).values_list("pk", flat=True)
    }
    assert seen == visible
    assert changeable == editable
    assert {side for side in ("a", "b") if records[side][kind].is_editable_by(user)} == editable


def test_anonymous_sees_and_changes_nothing(records):
    anonymous = AnonymousUser()
    assert not Stakeholder.objects.visible_to(anonymous).exists()
    assert not BusinessUnit.objects.editable_by(anonymous).exists()
    assert records["a"]["unit"].is_editable_by(anonymous) is False


def test_a_deputy_may_change_the_unit(unit_a, other_brm, records):
    unit_a.deputy = other_brm
    unit_a.save()
    other_brm = type(other_brm).objects.get(pk=other_brm.pk)  # no cached role
    assert set(Stakeholder.objects.editable_by(other_brm)) == {
        records["a"]["stakeholder"],
        records["b"]["stakeholder"],
    }
    assert records["a"]["action"].is_editable_by(other_brm)


def test_a_leader_whose_record_is_inactive_sees_nothing(unit_a, records):
    user = UserFactory.create(username="gone", role=Role.LEADER)
    StakeholderFactory.create(unit=unit_a, user=user, active=False)
    assert not BusinessUnit.objects.visible_to(user).exists()
    assert not Interaction.objects.visible_to(user).exists()


def test_a_leader_without_a_stakeholder_record_sees_nothing(records):
    user = UserFactory.create(username="unlinked", role=Role.LEADER)
    assert not BusinessUnit.objects.visible_to(user).exists()
