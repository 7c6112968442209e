"""Complaint emails: who may refuse them, and in which time zone they are written.

Policy (settings.NOTIFICATION_KINDS, complaints.workflow.email_kind): what goes to the
complainant (receipt, progress, resolution, follow-up) is the required kind
"complaints.notification" (ISO 10002 8.3-8.6: no unsubscribe link, preferences and opt-outs not
applied); escalations and the complainant's news for IT staff are "complaints.staff", which
follows each person's preferences (off, daily summary) and carries an unsubscribe link.

Time: the kernel composes each copy in its reader's time zone (brm.core.delivery: the user's
preference, else the site's TIME_ZONE), so deadlines show in the reader's local time and zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings

from brm.core import delivery
from brm.core.models import DeferredEmail, OutboundEmail, UserPreference
from complaints import services, workflow
from complaints.models import ComplaintNotification, ComplaintSettings
from tests.mail import send_queued

# Monday 2 March 2026, 09:00 UTC: no summer time anywhere involved (New York starts 8 March).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def round_the_clock(db, settings):
    settings.TIME_ZONE = "UTC"
    ComplaintSettings.get()
    ComplaintSettings.objects.update(
        round_the_clock_low=True,
        round_the_clock_medium=True,
        round_the_clock_high=True,
        round_the_clock_critical=True,
    )


def _prefer(user, **fields):
    pref = UserPreference.objects.filter(user=user).first() or UserPreference(user=user)
    for name, value in fields.items():
        setattr(pref, name, value)
    pref.save()
    return pref


def _file(file, django_capture_on_commit_callbacks, **fields):
    with (
        time_machine.travel(T0, tick=False),
        send_queued(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return file(severity="high", **fields)  # acknowledge within 4 h: by 13:00 UTC


def _escalate(django_capture_on_commit_callbacks):
    with (
        time_machine.travel(T0 + timedelta(hours=5), tick=False),
        send_queued(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return services.check_deadlines()


# --- Which kind is required -------------------------------------------------------------------


def test_only_the_complainant_facing_kind_is_required():
    kinds = django_settings.NOTIFICATION_KINDS
    assert kinds["complaints.notification"]["required"] is True
    assert kinds["complaints.staff"]["required"] is False
    assert delivery.kind_is_required(workflow.NOTIFICATION_EMAIL)
    assert not delivery.kind_is_required(workflow.STAFF_NOTIFICATION_EMAIL)


def test_receipt_progress_and_resolution_are_required_escalations_and_news_are_not(
    file, brm, deputy, leader, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = _file(file, django_capture_on_commit_callbacks)
    assert _escalate(django_capture_on_commit_callbacks) == 1
    with send_queued(), django_capture_on_commit_callbacks(execute=True):
        services.add_comment(complaint, actor=leader, comment="Still late today.")
        workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
        workflow.transition_complaint(complaint, "investigating", actor=brm, comment="Looking.")
        workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    email_kinds = {
        (n.kind, n.event.actor_id if n.event else None): OutboundEmail.objects.get(
            key=f"{workflow.NOTIFICATION_EMAIL}:{n.pk}"
        ).kind
        for n in ComplaintNotification.objects.filter(complaint=complaint).select_related("event")
    }
    assert email_kinds[("acknowledgement", None)] == "complaints.notification"
    assert email_kinds[("status_change", brm.pk)] == "complaints.notification"  # resolution too
    assert email_kinds[("status_change", leader.pk)] == "complaints.staff"  # news for IT
    assert email_kinds[("escalation", None)] == "complaints.staff"
    assert len(mailoutbox) >= 5  # receipt, escalation to BRM and deputy, news, three steps


def test_a_complainant_who_refused_everything_still_gets_receipt_and_resolution(
    file, brm, leader, mailoutbox, django_capture_on_commit_callbacks
):
    _prefer(leader, notifications={"complaints.staff": "off"})
    delivery.unsubscribe(leader.email, delivery.ALL_KINDS)
    complaint = _file(file, django_capture_on_commit_callbacks)
    with send_queued(), django_capture_on_commit_callbacks(execute=True):
        workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
        workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    to_leader = [m for m in mailoutbox if m.to == [leader.email]]
    assert [m.subject.split(" ")[0] for m in to_leader] == ["We", "Update", "Update"]
    assert "Fixed." in to_leader[-1].body
    for message in to_leader:
        assert "List-Unsubscribe" not in message.extra_headers
        assert "unsubscribe" not in message.body.lower()


def test_escalations_follow_each_staff_members_preference(
    file, brm, deputy, mailoutbox, django_capture_on_commit_callbacks
):
    _prefer(brm, notifications={"complaints.staff": "off"})
    _prefer(deputy, notifications={"complaints.staff": "immediate"})
    _file(file, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    assert _escalate(django_capture_on_commit_callbacks) == 1
    [escalation] = mailoutbox
    assert escalation.to == [deputy.email]  # the BRM switched staff complaint emails off
    assert escalation.subject.startswith("Escalation (level 1)")
    assert escalation.extra_headers["List-Unsubscribe"].startswith(
        f"<{django_settings.SITE_URL}/unsubscribe/"
    )


def test_a_staff_member_may_take_escalations_in_the_daily_summary(
    file, brm, deputy, mailoutbox, django_capture_on_commit_callbacks
):
    _prefer(brm, notifications={"complaints.staff": "daily"})
    complaint = _file(file, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    _escalate(django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[deputy.email]]
    held = DeferredEmail.objects.get(email=brm.email)
    assert held.kind == "complaints.staff" and complaint.reference in held.subject


def test_news_from_the_complainant_respects_the_brms_unsubscribe(
    file, brm, deputy, leader, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = _file(file, django_capture_on_commit_callbacks)
    delivery.unsubscribe(brm.email, "complaints.staff")
    mailoutbox.clear()
    with send_queued(), django_capture_on_commit_callbacks(execute=True):
        services.add_comment(complaint, actor=leader, comment="Still late today.")
    assert [m.to for m in mailoutbox] == [[deputy.email]]
    assert "news from the complainant" in mailoutbox[0].subject


def test_the_profile_page_offers_staff_emails_but_never_the_complainants(client, brm):
    client.force_login(brm)
    page = client.get("/profile/").content.decode()
    assert "kind:complaints.staff" in page
    assert "kind:complaints.notification" not in page


# --- Each reader's time zone --------------------------------------------------------------------


def test_the_complainant_reads_deadlines_in_their_own_zone(
    file, leader, mailoutbox, django_capture_on_commit_callbacks
):
    _prefer(leader, time_zone="America/New_York")
    _file(file, django_capture_on_commit_callbacks)
    [receipt] = [m for m in mailoutbox if m.to == [leader.email]]
    # Acknowledge by 13:00 UTC = 08:00 in New York (EST); the site's zone is UTC.
    assert "acknowledge it by 2 Mar 2026, 08:00 EST" in receipt.body
    assert "13:00" not in receipt.body


def test_each_escalation_copy_shows_its_readers_local_deadline(
    file, brm, deputy, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.TIME_ZONE = "Asia/Tokyo"  # the site's zone differs from both readers'
    _prefer(brm, time_zone="America/New_York")
    _prefer(deputy, time_zone="Europe/London")
    _file(file, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    assert _escalate(django_capture_on_commit_callbacks) == 1
    by_reader = {m.to[0]: m.body for m in mailoutbox}
    assert set(by_reader) == {brm.email, deputy.email}
    assert "Acknowledge by: 2 Mar 2026, 08:00 EST" in by_reader[brm.email]
    assert "Acknowledge by: 2 Mar 2026, 13:00 GMT" in by_reader[deputy.email]
    assert "JST" not in by_reader[brm.email] + by_reader[deputy.email]


def test_a_reader_without_a_preference_reads_the_sites_zone(
    file, leader, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.TIME_ZONE = "Europe/London"
    _file(file, django_capture_on_commit_callbacks)
    [receipt] = [m for m in mailoutbox if m.to == [leader.email]]
    assert "acknowledge it by 2 Mar 2026, 13:00 GMT" in receipt.body
