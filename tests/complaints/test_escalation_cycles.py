"""Each deadline cycle escalates on its own (issue 11): a reopened complaint gets new
deadlines, and breaching them escalates again from level 1, each level once per cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.urls import reverse

from complaints import tasks, workflow
from complaints.models import ComplaintEvent, ComplaintNotification, ComplaintSettings
from tests.factories import UserFactory
from tests.mail import by_message, send_queued

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def round_the_clock(db):
    """Elapsed hours, so the cycle arithmetic reads plainly (working time: test_working_time)."""
    ComplaintSettings.get()
    ComplaintSettings.objects.update(
        round_the_clock_low=True,
        round_the_clock_medium=True,
        round_the_clock_high=True,
        round_the_clock_critical=True,
    )


@pytest.fixture
def head_of_brm(db):
    user = UserFactory.create(username="head", email="head@example.org")
    user.groups.add(Group.objects.get_or_create(name="Head of BRM")[0])
    return user


def _check_at(when, capture):
    with time_machine.travel(when, tick=False), send_queued(), capture(execute=True):
        return tasks.check_complaint_deadlines()


def _escalations(mailoutbox):
    # Escalations go to IT staff as an optional kind: one copy per person, merged back here.
    return [m for m in by_message(mailoutbox) if "Escalation" in m.subject]


def _move(complaint, to, actor, when, comment="Step"):
    with time_machine.travel(when, tick=False):
        return workflow.transition_complaint(complaint, to, actor=actor, comment=comment)


def _breach_and_resolve(file, brm, capture):
    """A high complaint (resolve within 48 h) resolved late, after escalating to level 1."""
    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")
    _move(complaint, "investigating", brm, T0 + timedelta(hours=1))
    assert _check_at(T0 + timedelta(hours=49), capture) == 1  # resolve-by (48 h) passed
    _move(complaint, "resolved", brm, T0 + timedelta(hours=50), "Fixed")
    return complaint


def test_a_reopened_complaint_escalates_again_from_level_one(
    file, brm, deputy, leader, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    complaint = _breach_and_resolve(file, brm, capture)
    reopened_at = T0 + timedelta(hours=60)
    _move(complaint, "investigating", leader, reopened_at, "Still broken")
    complaint.refresh_from_db()
    assert (complaint.cycle, complaint.escalation_level) == (2, 0)
    assert complaint.resolve_by == reopened_at + timedelta(hours=48)
    mailoutbox.clear()

    assert _check_at(reopened_at + timedelta(hours=47), capture) == 0
    assert _check_at(reopened_at + timedelta(hours=49), capture) == 1
    assert _check_at(reopened_at + timedelta(hours=49), capture) == 0  # once per cycle
    [mail] = _escalations(mailoutbox)
    assert "level 1" in mail.subject
    assert sorted(mail.to) == sorted([brm.email, deputy.email])
    complaint.refresh_from_db()
    assert (complaint.cycle, complaint.escalation_level) == (2, 1)
    assert list(
        ComplaintNotification.objects.filter(complaint=complaint, kind="escalation")
        .order_by("cycle", "level")
        .values_list("cycle", "level")
    ) == [(1, 1), (2, 1)]


def test_each_cycle_climbs_every_level_once_and_a_second_reopen_starts_again(
    file, brm, leader, head_of_brm, executive, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    complaint = _breach_and_resolve(file, brm, capture)
    second = T0 + timedelta(hours=60)
    _move(complaint, "investigating", leader, second, "Still broken")
    # A late run raises every level of cycle 2 once (48 h target, then 24 h and 72 h more).
    assert _check_at(second + timedelta(hours=48 + 80), capture) == 3
    assert _check_at(second + timedelta(hours=48 + 90), capture) == 0
    _move(complaint, "resolved", brm, second + timedelta(hours=48 + 91), "Fixed again")
    third = second + timedelta(hours=48 + 100)
    _move(complaint, "investigating", leader, third, "And again")
    complaint.refresh_from_db()
    assert (complaint.cycle, complaint.escalation_level) == (3, 0)
    assert _check_at(third + timedelta(hours=49), capture) == 1
    levels = list(
        ComplaintEvent.objects.filter(complaint=complaint, kind="escalation").values_list(
            "cycle", "level"
        )
    )
    assert levels == [(1, 1), (2, 1), (2, 2), (2, 3), (3, 1)]
    recipients = [m.to for m in _escalations(mailoutbox)]
    assert len(recipients) == 5
    assert recipients[2:4] == [[head_of_brm.email], [executive.email]]
    assert brm.email in recipients[4]


def test_the_claim_allows_each_level_once_per_cycle(file, brm, leader):
    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")
    ComplaintNotification.objects.create(complaint=complaint, kind="escalation", level=1, cycle=1)
    ComplaintNotification.objects.create(complaint=complaint, kind="escalation", level=1, cycle=2)
    with pytest.raises(IntegrityError):
        ComplaintNotification.objects.create(
            complaint=complaint, kind="escalation", level=1, cycle=2
        )


def test_the_timeline_shows_each_cycle(
    client, file, brm, leader, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    complaint = _breach_and_resolve(file, brm, capture)
    reopened_at = T0 + timedelta(hours=60)
    _move(complaint, "investigating", leader, reopened_at, "Still broken")
    _check_at(reopened_at + timedelta(hours=49), capture)
    client.force_login(brm)
    with time_machine.travel(reopened_at + timedelta(hours=50), tick=False):
        html = client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).content
    text = html.decode()
    assert "Reopened: cycle 2 begins" in text
    assert "Escalated (level 1)" in text  # cycle 1
    assert "Escalated (level 1, cycle 2)" in text
    assert 'id="complaint-cycle"' in text
    events = ComplaintEvent.objects.filter(complaint=complaint)
    assert {e.cycle for e in events if e.created_at < reopened_at} == {1}
    assert {e.cycle for e in events if e.created_at >= reopened_at} == {2}
