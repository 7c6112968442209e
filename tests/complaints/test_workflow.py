"""The state machine: every allowed and forbidden transition, for every kind of actor."""

from __future__ import annotations

from datetime import timedelta
from itertools import permutations
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from brm.core import delivery
from complaints import workflow
from complaints.models import Complaint, ComplaintEvent, ComplaintNotification, Status
from tests.mail import by_message

# Written out by hand (not derived from workflow.TRANSITIONS) so the test checks the table.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("received", "acknowledged"): {"brm", "deputy", "admin"},
    ("received", "investigating"): {"brm", "deputy", "admin"},
    ("acknowledged", "investigating"): {"brm", "deputy", "admin"},
    ("acknowledged", "resolved"): {"brm", "deputy", "admin"},
    ("investigating", "resolved"): {"brm", "deputy", "admin"},
    ("resolved", "closed"): {"brm", "deputy", "admin", "leader"},
    ("resolved", "investigating"): {"brm", "deputy", "admin", "leader"},
    ("closed", "investigating"): {"brm", "deputy", "admin", "leader"},
    ("received", "withdrawn"): {"leader"},
    ("acknowledged", "withdrawn"): {"leader"},
    ("investigating", "withdrawn"): {"leader"},
}
ACTORS = ["brm", "deputy", "admin", "leader", "colleague", "other_brm", "executive"]
PAIRS = list(permutations(Status.values, 2))


def _at(complaint: Complaint, status: str) -> Complaint:
    """Put a complaint straight into `status` (test setup only), resolved an hour ago if needed."""
    now = timezone.now()
    fields: dict[str, Any] = {"status": status}
    if status in {"resolved", "closed"}:
        fields["resolved_at"] = now - timedelta(hours=1)
        fields["acknowledged_at"] = now - timedelta(hours=2)
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def actors(request, brm, deputy, admin_user, leader, colleague, other_brm, executive):
    return {
        "brm": brm,
        "deputy": deputy,
        "admin": admin_user,
        "leader": leader,
        "colleague": colleague,
        "other_brm": other_brm,
        "executive": executive,
    }


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_it_allows_exactly_the_table_for_each_actor(file, actors, source, target):
    expected = ALLOWED.get((source, target), set())
    for name in ACTORS:
        complaint = _at(file(), source)
        actor = actors[name]
        offered = {t.target for t in workflow.allowed_transitions(complaint, actor)}
        if name in expected:
            assert target in offered, f"{name} should be offered {source}->{target}"
            workflow.transition_complaint(complaint, target, actor=actor, comment="Because.")
            complaint.refresh_from_db()
            assert complaint.status == target
            event = complaint.events.last()
            assert (event.from_status, event.to_status, event.actor) == (source, target, actor)
        else:
            assert target not in offered, f"{name} must not be offered {source}->{target}"
            before = complaint.events.count()
            with pytest.raises(workflow.TransitionError):
                workflow.transition_complaint(complaint, target, actor=actor, comment="Because.")
            complaint.refresh_from_db()
            assert complaint.status == source
            assert complaint.events.count() == before


def test_it_requires_a_comment_and_saves_nothing_without_one(complaint, brm):
    with pytest.raises(workflow.InputError) as exc:
        workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="   ")
    assert exc.value.field == "comment"
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED
    assert complaint.events.count() == 1


def test_it_refuses_an_oversized_comment(complaint, brm):
    with pytest.raises(workflow.InputError):
        workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="x" * 5001)
    assert complaint.events.count() == 1


def test_it_refuses_an_unknown_status(complaint, brm):
    with pytest.raises(workflow.InputError):
        workflow.transition_complaint(complaint, "vanished", actor=brm, comment="Hm.")


def test_it_records_the_resolution_and_times(complaint, brm):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "investigating", actor=brm, comment="Looking.")
    done = workflow.transition_complaint(
        complaint, "resolved", actor=brm, comment="Batch job moved to 6am."
    )
    assert done.resolution == "Batch job moved to 6am."
    assert done.acknowledged_at is not None and done.resolved_at is not None


def test_it_tells_the_other_side_about_each_step(complaint, brm, deputy, leader, mailoutbox):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "withdrawn", actor=leader, comment="Sorted itself.")
    notes = ComplaintNotification.objects.filter(complaint=complaint).order_by("pk")
    assert [n.kind for n in notes] == ["acknowledgement", "status_change", "status_change"]
    for note in notes:
        delivery.send_now(workflow.NOTIFICATION_EMAIL, note.pk)
    ack, step, withdrawal = by_message(mailoutbox)  # news for IT: one copy per person
    assert ack.to == step.to == [leader.email]
    assert "On it." in step.body
    assert sorted(withdrawal.to) == sorted([brm.email, deputy.email])
    assert "Sorted itself." in withdrawal.body and "withdrawn" in withdrawal.body


def test_it_lets_the_complainant_reopen_within_the_window(complaint, brm, leader):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    with time_machine.travel(timezone.now() + timedelta(days=13)):
        reopened = workflow.transition_complaint(
            complaint, "investigating", actor=leader, comment="Late again today."
        )
        assert reopened.status == Status.INVESTIGATING
        assert reopened.resolved_at is None
        assert reopened.resolve_by > timezone.now()  # a fresh target


def test_it_refuses_a_reopen_after_the_window(complaint, brm, leader):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert workflow.allowed_transitions(complaint, leader) == [
            t for t in workflow.allowed_transitions(complaint, leader) if t.target == "closed"
        ]
        with pytest.raises(workflow.TransitionError, match="window"):
            workflow.transition_complaint(
                complaint, "investigating", actor=leader, comment="Late again."
            )
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    assert not ComplaintEvent.objects.filter(complaint=complaint, to_status="investigating")
