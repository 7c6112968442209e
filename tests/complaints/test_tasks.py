"""Background jobs: escalation, the notification outbox, and filing while the broker is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from brm.core import delivery
from brm.core.models import OutboundEmail
from complaints import tasks
from complaints.models import Complaint, ComplaintEvent, ComplaintNotification, ComplaintSettings
from tests.factories import UserFactory
from tests.mail import broker_down, by_message, refusing_mail, send_queued

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def round_the_clock(db):
    """These tests are about escalation levels and recipients, so every hour counts here;
    working-time deadlines are tested in test_working_time.py."""
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


@pytest.fixture
def people(brm, deputy, executive, head_of_brm):
    return {"brm": brm, "deputy": deputy, "executive": executive, "head": head_of_brm}


def _send_now():
    """Patch `.delay` so queued sends run in-process (the broker is mocked away)."""
    return send_queued()


def _email_of(note):
    return OutboundEmail.objects.get(key=f"complaints.notification:{note.pk}")


def _check_at(when, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(when, tick=False),
        _send_now(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return tasks.check_complaint_deadlines()


def _escalation_mail(mailoutbox):
    # Escalations go to IT staff as an optional kind: one copy per person, merged back here.
    return [m for m in by_message(mailoutbox) if "Escalation" in m.subject]


def test_it_escalates_each_level_once_to_the_right_people(
    file, people, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")  # acknowledge within 4 h
    mailoutbox.clear()

    assert _check_at(T0 + timedelta(hours=3), django_capture_on_commit_callbacks) == 0
    assert _escalation_mail(mailoutbox) == []

    # Ack deadline (13:00) passed: level 1 to the BRM and deputy. Run twice: one email.
    assert _check_at(T0 + timedelta(hours=5), django_capture_on_commit_callbacks) == 1
    assert _check_at(T0 + timedelta(hours=5), django_capture_on_commit_callbacks) == 0
    [level1] = _escalation_mail(mailoutbox)
    assert sorted(level1.to) == sorted([people["brm"].email, people["deputy"].email])
    assert complaint.reference in level1.subject

    # 24 h after the breach: level 2 to the head of BRM.
    assert _check_at(T0 + timedelta(hours=4 + 24), django_capture_on_commit_callbacks) == 1
    assert _check_at(T0 + timedelta(hours=4 + 25), django_capture_on_commit_callbacks) == 0
    assert _escalation_mail(mailoutbox)[1].to == [people["head"].email]

    # 72 h after the breach: level 3 to the executive; later runs send nothing more.
    assert _check_at(T0 + timedelta(hours=4 + 72), django_capture_on_commit_callbacks) == 1
    assert _check_at(T0 + timedelta(days=30), django_capture_on_commit_callbacks) == 0
    mails = _escalation_mail(mailoutbox)
    assert len(mails) == 3
    assert mails[2].to == [people["executive"].email]

    complaint.refresh_from_db()
    assert complaint.escalation_level == 3
    levels = list(
        ComplaintEvent.objects.filter(complaint=complaint, kind="escalation").values_list(
            "level", flat=True
        )
    )
    assert levels == [1, 2, 3]


def test_it_uses_the_head_of_brm_from_the_settings(
    file, people, mailoutbox, django_capture_on_commit_callbacks
):
    chosen = UserFactory.create(username="chosen", email="chosen@example.org")
    targets = ComplaintSettings.get()
    targets.head_of_brm = chosen
    targets.save()
    with time_machine.travel(T0, tick=False):
        file(severity="critical")
    _check_at(T0 + timedelta(hours=30), django_capture_on_commit_callbacks)
    level2 = [m for m in _escalation_mail(mailoutbox) if "level 2" in m.subject]
    assert level2[0].to == ["chosen@example.org"]


def test_a_late_first_run_raises_every_missing_level_once(
    file, people, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        file(severity="low")
    assert _check_at(T0 + timedelta(days=20), django_capture_on_commit_callbacks) == 3
    assert _check_at(T0 + timedelta(days=21), django_capture_on_commit_callbacks) == 0
    assert len(_escalation_mail(mailoutbox)) == 3


def test_it_does_not_escalate_an_acknowledged_complaint_on_time(
    file, brm, mailoutbox, django_capture_on_commit_callbacks
):
    from complaints import workflow

    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")
        workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="Seen.")
    assert _check_at(T0 + timedelta(hours=10), django_capture_on_commit_callbacks) == 0
    # The resolve deadline (48 h) still applies.
    assert _check_at(T0 + timedelta(hours=49), django_capture_on_commit_callbacks) == 1


# --- The outbox -------------------------------------------------------------------------------


def test_it_sends_the_acknowledgement_once(complaint, leader, mailoutbox):
    note = ComplaintNotification.objects.get(complaint=complaint, kind="acknowledgement")
    email = _email_of(note)
    assert delivery.deliver_email(email.pk) is True
    assert delivery.deliver_email(email.pk) is False
    [message] = mailoutbox
    assert message.extra_headers["Message-ID"] == email.message_id
    assert message.to == [leader.email]
    assert complaint.reference in message.subject
    assert complaint.reference in message.body
    note.refresh_from_db()
    assert note.sent_at is not None and note.recipients == leader.email


def test_a_failed_send_releases_the_claim_for_the_sweep(complaint, mailoutbox, settings):
    note = ComplaintNotification.objects.get(complaint=complaint)
    saved = settings.MAILERS
    refusing_mail(settings)
    assert delivery.deliver(_email_of(note).pk) is False
    note.refresh_from_db()
    assert note.sent_at is None
    assert _email_of(note).state == "pending"
    settings.MAILERS = saved
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(minutes=2)):
        assert delivery.sweep() == 1
    note.refresh_from_db()
    assert note.sent_at is not None
    assert len(mailoutbox) == 1


def _broker_down():
    return broker_down()


def _sweep_later(mailoutbox):
    """The broker is back; three minutes later the sweep re-queues what never went out."""
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(minutes=3)):
        return delivery.sweep()


def test_filing_through_the_page_survives_a_broker_outage(
    client, leader, unit_a, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with _broker_down() as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("complaints:complaint_create"),
            {"title": "VPN drops", "description": "Every hour.", "severity": "high"},
        )
    assert response.status_code == 302
    assert delay.called  # the queueing was attempted after commit, and failed
    complaint = Complaint.objects.get()
    assert complaint.events.get().kind == "filed"
    assert mailoutbox == []

    assert _sweep_later(mailoutbox) == 1
    assert _sweep_later(mailoutbox) == 0
    [message] = mailoutbox
    assert message.to == [leader.email] and complaint.reference in message.subject


def test_filing_through_the_api_survives_a_broker_outage(
    as_user, leader, unit_a, mailoutbox, django_capture_on_commit_callbacks
):
    api = as_user(leader)
    with _broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/complaints/",
            {"title": "VPN drops", "description": "Every hour.", "severity": "high"},
        )
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().reference == response.json()["reference"]
    assert _sweep_later(mailoutbox) == 1
    assert _sweep_later(mailoutbox) == 0
    assert len(mailoutbox) == 1


def test_the_sweep_leaves_fresh_rows_to_their_first_attempt(complaint, mailoutbox):
    assert delivery.sweep() == 0
    assert mailoutbox == []


def test_a_level_claimed_by_a_concurrent_run_is_not_repeated(
    file, people, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        complaint = file(severity="high")
    # Another checker already claimed level 1 (its outbox row exists) but had not yet
    # raised the complaint's level when this run started.
    ComplaintNotification.objects.create(complaint=complaint, kind="escalation", level=1)
    assert _check_at(T0 + timedelta(hours=5), django_capture_on_commit_callbacks) == 0
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
    assert not complaint.events.filter(kind="escalation").exists()  # rolled back with the claim
    assert _escalation_mail(mailoutbox) == []
