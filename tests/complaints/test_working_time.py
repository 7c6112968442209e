"""Complaint deadlines count working time (issue 11): the working calendar in
`ComplaintSettings` (days, hours, public holidays), per severity; escalation follows it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from complaints import tasks, workflow
from complaints.models import ComplaintEvent, ComplaintSettings, PublicHoliday
from tests.factories import UserFactory
from tests.mail import by_message, send_queued

LONDON = ZoneInfo("Europe/London")
FRIDAY_1730 = datetime(2026, 11, 27, 17, 30, tzinfo=LONDON)
MONDAY_1700 = datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def london_time(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.WORKING_CALENDAR_COUNTRY = "GB"
    settings.WORKING_CALENDAR_SUBDIVISION = "ENG"


def _file_at(file, when, severity="medium"):
    with time_machine.travel(when, tick=False):
        return file(severity=severity)


def _check_at(when, capture):
    with time_machine.travel(when, tick=False), send_queued(), capture(execute=True):
        return tasks.check_complaint_deadlines()


def _escalations(mailoutbox):
    # Escalations go to IT staff as an optional kind: one copy per person, merged back here.
    return [m for m in by_message(mailoutbox) if "Escalation" in m.subject]


def test_a_medium_complaint_filed_on_friday_evening_is_due_on_monday(file):
    complaint = _file_at(file, FRIDAY_1730)
    # 8 working hours from Friday 17:30 (after hours): all of Monday, not Saturday 01:30.
    assert complaint.acknowledge_by == MONDAY_1700
    # 120 working hours = 15 working days of 8 h: Friday 18 Dec 17:00.
    assert complaint.resolve_by == london(2026, 12, 18, 17, 0)


def test_it_never_escalates_at_night_or_on_a_weekend_for_a_working_hours_target(
    file, brm, deputy, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = _file_at(file, FRIDAY_1730)
    mailoutbox.clear()
    for when in (
        london(2026, 11, 28, 1, 35),  # Saturday 01:35: the old deadline plus 5 minutes
        london(2026, 11, 29, 23, 0),
        london(2026, 11, 30, 16, 59),
    ):
        assert _check_at(when, django_capture_on_commit_callbacks) == 0
    assert _escalations(mailoutbox) == []
    # Monday 17:05: the acknowledgement deadline passed in working time.
    assert _check_at(london(2026, 11, 30, 17, 5), django_capture_on_commit_callbacks) == 1
    [mail] = _escalations(mailoutbox)
    assert sorted(mail.to) == sorted([brm.email, deputy.email])
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1


def test_level_two_waits_for_working_hours_after_the_breach(
    file, brm, mailoutbox, django_capture_on_commit_callbacks
):
    head = UserFactory.create(username="head", email="head@example.org")
    head.groups.add(Group.objects.get_or_create(name="Head of BRM")[0])
    _file_at(file, FRIDAY_1730)  # breached Monday 17:00; level 2 after 24 working hours
    assert _check_at(london(2026, 11, 30, 17, 5), django_capture_on_commit_callbacks) == 1
    # 24 elapsed hours later is Tuesday 17:05, but only 8 working hours have passed.
    assert _check_at(london(2026, 12, 1, 17, 5), django_capture_on_commit_callbacks) == 0
    # Thursday 17:00 is 24 working hours after the breach.
    assert _check_at(london(2026, 12, 3, 16, 59), django_capture_on_commit_callbacks) == 0
    assert _check_at(london(2026, 12, 3, 17, 0), django_capture_on_commit_callbacks) == 1
    assert _escalations(mailoutbox)[-1].to == ["head@example.org"]


@pytest.mark.parametrize(
    ("filed", "severity", "ack_by"),
    [
        # Before the early May bank holiday (Monday 3 May 2027): due Tuesday.
        (london(2027, 4, 30, 17, 30), "medium", london(2027, 5, 4, 17, 0)),
        # Over Easter 2027 (Good Friday 26 Mar, Easter Monday 29 Mar) and the clocks going
        # forward on 28 Mar: high (4 h) from Thursday 15:00 is Tuesday 11:00 BST.
        (london(2027, 3, 25, 15, 0), "high", london(2027, 3, 30, 11, 0)),
        # A weekend inside the span: high from Friday 15:00 is Monday 11:00.
        (london(2026, 11, 27, 15, 0), "high", london(2026, 11, 30, 11, 0)),
        # Low (24 working hours) filed on Wednesday 10:00: Monday 10:00.
        (london(2026, 11, 25, 10, 0), "low", london(2026, 11, 30, 10, 0)),
        # Critical stays round the clock: one hour, at night too.
        (FRIDAY_1730, "critical", london(2026, 11, 27, 18, 30)),
        # The night the clocks go back: 00:30 BST + 1 h is 01:30 BST (00:30 UTC).
        (london(2027, 10, 31, 0, 30), "critical", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_deadlines_follow_the_working_calendar_per_severity(file, filed, severity, ack_by):
    complaint = _file_at(file, filed, severity)
    assert complaint.acknowledge_by == ack_by


def test_an_admin_holiday_and_working_hours_count(file):
    PublicHoliday.objects.create(date=date(2026, 11, 30), name="Company day off")
    targets = ComplaintSettings.get()
    targets.working_day_start, targets.working_day_end = time(8, 0), time(18, 0)
    targets.save()
    complaint = _file_at(file, FRIDAY_1730)
    # Friday 17:30-18:00 counts (0.5 h), Monday is off, Tuesday 08:00 + 7.5 h = 15:30.
    assert complaint.acknowledge_by == london(2026, 12, 1, 15, 30)


def test_an_admin_may_make_a_severity_round_the_clock(file):
    targets = ComplaintSettings.get()
    targets.round_the_clock_medium = True
    targets.save()
    complaint = _file_at(file, FRIDAY_1730)
    assert complaint.acknowledge_by == london(2026, 11, 28, 1, 30)


def test_without_a_country_only_the_admins_holidays_are_off(file, settings):
    settings.WORKING_CALENDAR_COUNTRY = ""
    complaint = _file_at(file, london(2027, 4, 30, 17, 30))
    assert complaint.acknowledge_by == london(2027, 5, 3, 17, 0)  # the bank holiday counts


def test_a_reopened_complaint_gets_a_resolve_target_in_working_time(file, brm, leader):
    complaint = _file_at(file, london(2026, 11, 20, 9, 0), severity="high")
    with time_machine.travel(london(2026, 11, 20, 10, 0), tick=False):
        workflow.transition_complaint(complaint, "investigating", actor=brm, comment="On it")
        workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed")
    with time_machine.travel(london(2026, 11, 27, 16, 0), tick=False):  # Friday 16:00
        workflow.transition_complaint(complaint, "investigating", actor=leader, comment="Again")
    complaint.refresh_from_db()
    # High, 48 working hours from Friday 16:00: 1 h that Friday, a full week (40 h), then
    # 7 h on Monday 7 Dec: 16:00 (round the clock it would be Sunday 29 Nov 16:00).
    assert complaint.resolve_by == london(2026, 12, 7, 16, 0)


def test_the_page_shows_the_deadline_in_the_active_time_zone(client, file, leader, settings):
    complaint = _file_at(file, FRIDAY_1730)
    url = reverse("complaints:complaint_detail", args=[complaint.pk])
    client.force_login(leader)
    html = client.get(url).content.decode()
    assert "Mon 30 Nov 2026, 17:00 GMT" in html
    # Another active zone (a viewer abroad; here the default zone changed): same instant, local.
    settings.TIME_ZONE = "America/New_York"
    html = client.get(url).content.decode()
    assert "Mon 30 Nov 2026, 12:00 EST" in html


def test_the_severity_change_in_the_admin_moves_the_deadlines(file, admin_user, client):
    complaint = _file_at(file, FRIDAY_1730)
    client.force_login(admin_user)
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    response = client.post(
        url,
        {
            "title": complaint.title,
            "description": complaint.description,
            "remedy_requested": "",
            "service": "",
            "severity": "critical",
            "transition_to": "",
            "transition_comment": "",
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
            "events-0-id": str(ComplaintEvent.objects.get(complaint=complaint).pk),
            "events-0-complaint": str(complaint.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert complaint.acknowledge_by == london(2026, 11, 27, 18, 30)  # critical: round the clock
