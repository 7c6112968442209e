"""Complaint notices reach the in-app inbox too (#15), through the kernel's one delivery path:
the complainant's receipt (a required kind) and an escalation to the BRM and deputy, each once,
linked to the complaint; a deputy who turned escalations off gets neither email nor notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from brm.core.models import DeliveryMode, Notification, UserPreference
from complaints import services
from complaints.models import ComplaintSettings
from tests.mail import send_queued

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning


def test_receipt_and_escalation_land_in_each_inbox_once(
    file, brm, deputy, leader, mailoutbox, django_capture_on_commit_callbacks
):
    ComplaintSettings.get()
    ComplaintSettings.objects.update(round_the_clock_high=True)
    pref = UserPreference.for_user(deputy)
    pref.notifications = {"complaints.staff": DeliveryMode.OFF}
    pref.save()
    with (
        time_machine.travel(T0, tick=False),
        send_queued(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        complaint = file(severity="high")
    with (
        time_machine.travel(T0 + timedelta(hours=5), tick=False),
        send_queued(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.check_deadlines() == 1
        services.check_deadlines()  # the job run twice: nothing more
    inbox = {(n.user.username, n.kind): n for n in Notification.objects.select_related("user")}
    assert set(inbox) == {
        ("leader", "complaints.notification"),  # the receipt, required
        ("brm", "complaints.staff"),  # the escalation
    }
    assert all(n.link == complaint.get_absolute_url() for n in inbox.values())
    assert complaint.reference in inbox[("leader", "complaints.notification")].subject
