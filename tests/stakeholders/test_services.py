"""Services that change the register: logging meetings, commitment transitions, BRM handovers."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from kombu.exceptions import OperationalError

from brm.core.errors import StateConflict
from brm.core.models import OutboundEmail
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    Handover,
    Interaction,
    InteractionKind,
    OwnerSide,
)
from stakeholders.services import (
    CommitmentInput,
    complete_action_item,
    drop_action_item,
    log_interaction,
    reassign_brm,
    reopen_action_item,
)
from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory

DELAY = "brm.core.delivery.deliver_email.delay"


def _pack_email_id(handover: Handover) -> int:
    return OutboundEmail.objects.get(key=f"stakeholders.handover_pack:{handover.pk}").pk


def _fields(**overrides):
    fields = {
        "kind": InteractionKind.FORMAL_MEETING,
        "occurred_at": timezone.now() - timedelta(hours=2),
        "summary": "Quarterly review",
        "sentiment": 1,
        "notes": "They are unhappy with the ERP upgrade.",
    }
    fields.update(overrides)
    return fields


def _counts() -> tuple[int, int, int, int]:
    return (
        Interaction.objects.count(),
        ActionItem.objects.count(),
        Interaction.attendees.through.objects.count(),
        Interaction.it_participants.through.objects.count(),
    )


# --- log_interaction --------------------------------------------------------------------------


def test_it_logs_an_interaction(unit_a, brm):
    interaction = log_interaction(unit_a, actor=brm, fields=_fields())
    interaction.refresh_from_db()
    assert interaction.unit == unit_a
    assert interaction.summary == "Quarterly review"
    assert interaction.sentiment == 1
    assert interaction.logged_by == brm


def test_it_records_the_attendees(unit_a, brm):
    alice, bob = StakeholderFactory.create(unit=unit_a), StakeholderFactory.create(unit=unit_a)
    interaction = log_interaction(unit_a, actor=brm, fields=_fields(), attendees=[alice, bob])
    assert set(interaction.attendees.all()) == {alice, bob}


def test_the_actor_is_the_it_participant_by_default(unit_a, brm):
    interaction = log_interaction(unit_a, actor=brm, fields=_fields())
    assert list(interaction.it_participants.all()) == [brm]


def test_named_it_participants_replace_the_default(unit_a, brm, other_brm, executive):
    interaction = log_interaction(
        unit_a, actor=brm, fields=_fields(), it_participants=[other_brm, executive]
    )
    assert set(interaction.it_participants.all()) == {other_brm, executive}


def test_it_records_the_commitments_made(unit_a, brm):
    owner = StakeholderFactory.create(unit=unit_a)
    due = timezone.localdate() + timedelta(days=14)
    interaction = log_interaction(
        unit_a,
        actor=brm,
        fields=_fields(),
        commitments=[
            CommitmentInput(title="Send the roadmap", due_date=due, owner=brm),
            CommitmentInput(
                title="Name a key user",
                due_date=due,
                owner_side=OwnerSide.BUSINESS,
                owner_stakeholder=owner,
            ),
        ],
    )
    items = {a.title: a for a in interaction.action_items.all()}
    assert set(items) == {"Send the roadmap", "Name a key user"}
    it_item, business_item = items["Send the roadmap"], items["Name a key user"]
    assert (it_item.owner, it_item.owner_stakeholder, it_item.owner_side) == (brm, None, "it")
    assert (business_item.owner, business_item.owner_stakeholder) == (None, owner)
    for item in items.values():
        assert item.unit == unit_a
        assert item.due_date == due
        assert item.status == ActionStatus.OPEN
        assert item.created_by == brm


def test_it_keeps_each_commitment_owner_on_its_own_side(unit_a, brm):
    # A stray IT owner on a business commitment (or the reverse) is not stored.
    person = StakeholderFactory.create(unit=unit_a)
    due = timezone.localdate() + timedelta(days=3)
    interaction = log_interaction(
        unit_a,
        actor=brm,
        fields=_fields(),
        commitments=[
            CommitmentInput(
                title="Business",
                due_date=due,
                owner_side=OwnerSide.BUSINESS,
                owner=brm,
                owner_stakeholder=person,
            ),
            CommitmentInput(title="IT", due_date=due, owner=brm, owner_stakeholder=person),
        ],
    )
    items = {a.title: a for a in interaction.action_items.all()}
    assert items["Business"].owner is None
    assert items["IT"].owner_stakeholder is None


def test_it_saves_nothing_when_a_commitment_fails(unit_a, brm):
    person = StakeholderFactory.create(unit=unit_a)
    before = _counts()
    # make_commitment validates each promise before saving it, so the bad one is refused by field.
    with pytest.raises(ValidationError) as refused:
        log_interaction(
            unit_a,
            actor=brm,
            fields=_fields(),
            attendees=[person],
            commitments=[
                CommitmentInput(
                    title="Fine", due_date=timezone.localdate() + timedelta(days=1), owner=brm
                ),
                CommitmentInput(title="No due date", due_date=None),  # type: ignore[arg-type]
            ],
        )
    assert "due_date" in refused.value.message_dict
    assert _counts() == before


# --- Commitment transitions -------------------------------------------------------------------


def test_it_completes_a_commitment(unit_a, brm):
    item = ActionItemFactory.create(unit=unit_a)
    complete_action_item(item, actor=brm)
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert item.completed_at is not None
    assert timezone.now() - item.completed_at < timedelta(seconds=30)
    assert item.history.first().history_change_reason == "Marked done"


@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.DROPPED])
def test_it_refuses_to_complete_a_closed_commitment(unit_a, brm, status):
    item = ActionItemFactory.create(unit=unit_a, status=status, completed_at=timezone.now())
    with pytest.raises(StateConflict, match="already"):
        complete_action_item(item, actor=brm)


def test_completing_twice_is_a_conflict(unit_a, brm):
    item = ActionItemFactory.create(unit=unit_a)
    complete_action_item(item, actor=brm)
    with pytest.raises(StateConflict, match="already done"):
        complete_action_item(item, actor=brm)


def test_it_drops_a_commitment_with_the_reason_in_its_history(unit_a, brm):
    item = ActionItemFactory.create(unit=unit_a)
    drop_action_item(item, actor=brm, reason="The project was cancelled")
    item.refresh_from_db()
    assert item.status == ActionStatus.DROPPED
    assert item.completed_at is None
    assert item.history.first().history_change_reason == "The project was cancelled"


def test_dropping_a_done_commitment_is_a_conflict(unit_a, brm):
    item = ActionItemFactory.create(unit=unit_a)
    complete_action_item(item, actor=brm)
    with pytest.raises(StateConflict):
        drop_action_item(item, actor=brm, reason="Too late")
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE


@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.DROPPED])
def test_it_reopens_a_closed_commitment(unit_a, brm, status):
    item = ActionItemFactory.create(unit=unit_a, status=status, completed_at=timezone.now())
    reopen_action_item(item, actor=brm)
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert item.completed_at is None
    assert item.history.first().history_change_reason == "Reopened"


def test_reopening_an_open_commitment_is_a_conflict(unit_a, brm):
    with pytest.raises(StateConflict, match="already open"):
        reopen_action_item(ActionItemFactory.create(unit=unit_a), actor=brm)


# --- reassign_brm -----------------------------------------------------------------------------


def test_it_records_a_handover(unit_a, brm, other_brm, admin_user):
    with mock.patch(DELAY):
        handover = reassign_brm(unit_a, new_brm=other_brm, actor=admin_user, note="Over to you")
    unit_a.refresh_from_db()
    assert unit_a.brm == other_brm
    assert handover is not None
    handover.refresh_from_db()
    assert (handover.unit, handover.from_brm, handover.to_brm) == (unit_a, brm, other_brm)
    assert handover.handed_over_by == admin_user
    assert handover.note == "Over to you"
    assert handover.pack_sent_at is None
    assert unit_a.history.first().history_change_reason == "BRM handover"


def test_a_handover_keeps_the_history_with_the_unit(unit_a, brm, other_brm, admin_user):
    interaction = InteractionFactory.create(unit=unit_a, logged_by=brm)
    interaction.it_participants.add(brm)
    item = ActionItemFactory.create(unit=unit_a, owner=brm, interaction=interaction, created_by=brm)
    before = (
        list(Interaction.objects.values()),
        list(ActionItem.objects.values()),
        list(interaction.it_participants.all()),
    )
    with mock.patch(DELAY):
        reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)
    after = (
        list(Interaction.objects.values()),
        list(ActionItem.objects.values()),
        list(interaction.it_participants.all()),
    )
    assert after == before
    item.refresh_from_db()
    assert item.owner == brm  # still the person who promised it


def test_a_deputy_who_becomes_brm_leaves_the_deputy_slot(unit_a, other_brm, admin_user):
    unit_a.deputy = other_brm
    unit_a.save()
    with mock.patch(DELAY):
        reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)
    unit_a.refresh_from_db()
    assert unit_a.brm == other_brm
    assert unit_a.deputy is None


def test_the_deputy_stays_when_someone_else_takes_over(unit_a, other_brm, executive, admin_user):
    unit_a.deputy = executive
    unit_a.save()
    with mock.patch(DELAY):
        reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)
    unit_a.refresh_from_db()
    assert unit_a.deputy == executive


def test_reassigning_to_the_current_brm_changes_nothing(unit_a, brm, admin_user):
    with mock.patch(DELAY) as delay:
        assert reassign_brm(unit_a, new_brm=brm, actor=admin_user) is None
    assert not Handover.objects.exists()
    delay.assert_not_called()


def test_it_can_leave_a_unit_without_brm(
    unit_a, brm, admin_user, django_capture_on_commit_callbacks
):
    with (
        mock.patch(DELAY) as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        handover = reassign_brm(unit_a, new_brm=None, actor=admin_user)
    unit_a.refresh_from_db()
    assert unit_a.brm is None
    assert (handover.from_brm, handover.to_brm) == (brm, None)
    # Nobody to send a handover pack to.
    assert callbacks == []
    delay.assert_not_called()


def test_it_queues_the_handover_pack_after_commit(
    unit_a, other_brm, admin_user, django_capture_on_commit_callbacks
):
    with mock.patch(DELAY) as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            handover = reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)
            assert handover is not None
            # Still inside the transaction: nothing is queued before the commit.
            delay.assert_not_called()
        assert len(callbacks) == 1
        delay.assert_called_once_with(_pack_email_id(handover))


def test_a_broker_outage_neither_loses_the_handover_nor_fails_the_caller(
    unit_a, other_brm, admin_user, django_capture_on_commit_callbacks, caplog
):
    with (
        mock.patch(DELAY, side_effect=OperationalError("Connection refused")) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        handover = reassign_brm(unit_a, new_brm=other_brm, actor=admin_user)
    assert handover is not None
    delay.assert_called_once_with(_pack_email_id(handover))
    handover.refresh_from_db()
    assert handover.pack_sent_at is None  # still pending: the periodic sweep sends it
    assert OutboundEmail.objects.get(pk=_pack_email_id(handover)).state == "pending"
    unit_a.refresh_from_db()
    assert unit_a.brm == other_brm
    assert "periodic sweep will retry" in caplog.text
