"""Filing, deadlines, ratings, follow-up work and feedback: the services behind every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from complaints import services, workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    Feedback,
)
from tests.factories import ServiceFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def round_the_clock(db):
    """Targets counted in elapsed hours (working time has its own tests: test_working_time)."""
    ComplaintSettings.get()
    ComplaintSettings.objects.update(
        round_the_clock_low=True,
        round_the_clock_medium=True,
        round_the_clock_high=True,
        round_the_clock_critical=True,
    )


@pytest.mark.parametrize(
    ("severity", "ack_hours", "resolve_hours"),
    [("low", 24, 240), ("medium", 8, 120), ("high", 4, 48), ("critical", 1, 8)],
)
def test_it_sets_deadlines_from_the_default_targets(
    file, round_the_clock, severity, ack_hours, resolve_hours
):
    with time_machine.travel(T0, tick=False):
        complaint = file(severity=severity)
    assert complaint.acknowledge_by == T0 + timedelta(hours=ack_hours)
    assert complaint.resolve_by == T0 + timedelta(hours=resolve_hours)


def test_it_uses_the_targets_an_admin_set(file, round_the_clock):
    targets = ComplaintSettings.get()
    targets.ack_hours_high, targets.resolve_hours_high = 2, 30
    targets.save()
    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")
    assert complaint.acknowledge_by == T0 + timedelta(hours=2)
    assert complaint.resolve_by == T0 + timedelta(hours=30)


def test_it_gives_a_unique_reference_from_the_primary_key(file):
    with time_machine.travel(T0, tick=False):
        first, second = file(), file()
    assert first.reference == f"C-2026-{first.pk:05d}"
    assert second.reference == f"C-2026-{second.pk:05d}"
    assert Complaint.objects.get(pk=second.pk).reference == second.reference


def test_it_records_the_filing_on_the_timeline_and_queues_the_acknowledgement(file, leader):
    complaint = file()
    [event] = complaint.events.all()
    assert (event.kind, event.actor, event.to_status) == ("filed", leader, "received")
    [note] = ComplaintNotification.objects.filter(complaint=complaint)
    assert note.kind == "acknowledgement" and note.sent_at is None


def test_it_links_a_service(file, unit_a):
    service = ServiceFactory.create(name="Payroll", consumers=[unit_a])
    assert file(service=service).service == service


@pytest.mark.parametrize(
    ("field", "value"), [("title", "  "), ("description", ""), ("title", "x" * 201)]
)
def test_it_refuses_bad_input_and_saves_nothing(file, field, value):
    with pytest.raises((workflow.InputError, ValidationError)):
        file(**{field: value})
    assert not Complaint.objects.exists()
    assert not ComplaintEvent.objects.exists()
    assert not ComplaintNotification.objects.exists()


# --- Ratings ----------------------------------------------------------------------------------


@pytest.fixture
def resolved(complaint, brm):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    return complaint


def test_it_keeps_the_complainants_rating(resolved, leader):
    services.rate_resolution(resolved, 4, actor=leader, comment="Quick, thanks")
    resolved.refresh_from_db()
    assert resolved.resolution_rating == 4 and resolved.rated_at is not None
    event = resolved.events.last()
    assert (event.kind, event.level, event.comment) == ("rating", 4, "Quick, thanks")


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None])
def test_it_refuses_a_rating_outside_1_to_5(resolved, leader, rating):
    with pytest.raises(workflow.InputError):
        services.rate_resolution(resolved, rating, actor=leader)
    resolved.refresh_from_db()
    assert resolved.resolution_rating is None


def test_it_refuses_a_second_rating(resolved, leader):
    services.rate_resolution(resolved, 2, actor=leader)
    with pytest.raises(workflow.TransitionError, match="already"):
        services.rate_resolution(resolved, 5, actor=leader)
    resolved.refresh_from_db()
    assert resolved.resolution_rating == 2


def test_it_refuses_a_rating_before_resolution(complaint, leader):
    with pytest.raises(workflow.TransitionError):
        services.rate_resolution(complaint, 3, actor=leader)


def test_only_the_complainant_rates(resolved, brm, colleague):
    for someone in (brm, colleague):
        with pytest.raises(workflow.TransitionError):
            services.rate_resolution(resolved, 3, actor=someone)


# --- Follow-up work: closing the loop ---------------------------------------------------------


def test_it_tells_the_complainant_when_the_linked_work_is_done(complaint, brm):
    services.link_follow_up(complaint, actor=brm, kind="change", reference="CR-118")
    services.complete_follow_up(complaint, actor=brm, outcome="New batch window is live.")
    complaint.refresh_from_db()
    assert complaint.follow_up_done_at is not None
    assert complaint.follow_up_outcome == "New batch window is live."
    assert ComplaintNotification.objects.filter(complaint=complaint, kind="follow_up").count() == 1
    with pytest.raises(workflow.TransitionError):
        services.complete_follow_up(complaint, actor=brm, outcome="Again")


def test_only_a_handler_links_work(complaint, leader, other_brm):
    for someone in (leader, other_brm):
        with pytest.raises(workflow.TransitionError):
            services.link_follow_up(complaint, actor=someone, kind="change", reference="CR-1")


# --- Comments and feedback --------------------------------------------------------------------


def test_an_executive_may_comment_but_not_move(complaint, executive):
    services.add_comment(complaint, actor=executive, comment="Please prioritise this.")
    assert complaint.events.last().kind == "comment"
    assert workflow.allowed_transitions(complaint, executive) == []


def test_it_refuses_feedback_about_nobody(leader):
    with pytest.raises(workflow.InputError):
        services.leave_feedback(actor=leader, kind="compliment", message="Great")
    with pytest.raises(workflow.InputError):
        services.leave_feedback(actor=leader, kind="compliment", message=" ", about_team="Desk")
    assert not Feedback.objects.exists()
