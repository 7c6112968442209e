"""Dispatch, fatigue, stratified sampling, reminders and pulses: each runs twice, sends once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from brm.core import delivery
from brm.core.errors import StateConflict
from brm.core.models import OutboundEmail
from satisfaction import mailing, pulses, services
from satisfaction.audience import allocate, plan_audience
from satisfaction.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    Pulse,
    Schedule,
    Skip,
    hash_token,
)
from tests.factories import (
    BusinessUnitFactory,
    ComplaintFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    UserFactory,
)
from tests.mail import refusing_mail

pytestmark = pytest.mark.django_db


def _people(unit, n, role="customer"):
    return [StakeholderFactory.create(unit=unit, role_type=role) for _ in range(n)]


def test_it_allocates_a_sample_proportionally_with_largest_remainders():
    # 10 of 20: 6 -> 3, 10 -> 5, 4 -> 2 exactly; 7 of 20: 2.1, 3.5, 1.4 -> 2, 4, 1
    assert allocate({("a",): 6, ("b",): 10, ("c",): 4}, 10) == {("a",): 3, ("b",): 5, ("c",): 2}
    assert allocate({("a",): 6, ("b",): 10, ("c",): 4}, 7) == {("a",): 2, ("b",): 4, ("c",): 1}
    assert allocate({("a",): 2}, 5) == {("a",): 2}


def test_it_draws_the_same_stratified_sample_every_time(make_campaign, unit_a, unit_b):
    _people(unit_a, 6)
    _people(unit_a, 4, "sponsor")
    _people(unit_b, 10)
    campaign = make_campaign([unit_a, unit_b], sample_size=10)
    first = plan_audience(campaign)
    second = plan_audience(campaign)
    assert [p.pk for p in first.selected] == [p.pk for p in second.selected]
    by_stratum: dict[tuple[Any, ...], int] = {}
    for p in first.selected:
        key = (p.unit_id, p.role_type)
        by_stratum[key] = by_stratum.get(key, 0) + 1
    assert by_stratum == {
        (unit_a.pk, "customer"): 3,
        (unit_a.pk, "sponsor"): 2,
        (unit_b.pk, "customer"): 5,
    }
    assert first.counts() == {"not_sampled": 10}


def test_it_skips_people_invited_recently_in_any_campaign(make_campaign, sent_link, unit_a):
    recent, fresh = _people(unit_a, 2)
    earlier = make_campaign([unit_a], name="Pulse", status=CampaignStatus.OPEN)
    sent_link(earlier, recent)
    plan = plan_audience(make_campaign([unit_a]))
    assert [p.pk for p in plan.selected] == [fresh.pk]
    assert plan.skipped[0].stakeholder == recent and plan.skipped[0].reason == "fatigue"
    assert "60-day" in plan.skipped[0].detail


def test_it_asks_again_after_the_fatigue_window(make_campaign, sent_link, unit_a):
    (someone,) = _people(unit_a, 1)
    sent_link(make_campaign([unit_a], status=CampaignStatus.OPEN), someone)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert plan_audience(make_campaign([unit_a])).selected == [someone]


def test_it_skips_people_without_email_and_filters_role_types(make_campaign, unit_a):
    StakeholderFactory.create(unit=unit_a, email="")
    sponsor = StakeholderFactory.create(unit=unit_a, role_type="sponsor")
    StakeholderFactory.create(unit=unit_a, role_type="user")
    plan = plan_audience(make_campaign([unit_a], role_types=["sponsor", "customer"]))
    assert plan.selected == [sponsor]
    assert plan.counts() == {"no_email": 1}


def test_it_dispatches_once_and_records_skips(
    make_campaign, sent_link, unit_a, django_capture_on_commit_callbacks
):
    a, b, c = _people(unit_a, 3)
    sent_link(make_campaign([unit_a], name="Earlier", status=CampaignStatus.OPEN), c)
    campaign = make_campaign([unit_a], status=CampaignStatus.SCHEDULED, next_run_at=timezone.now())
    with (
        mock.patch("brm.core.delivery.deliver_email.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = services.dispatch_campaign(campaign.pk)
    assert queued.call_count == 2  # one email per invitation, queued after commit
    assert mailing.send_invitations(campaign.pk).sent
    assert run == campaign and services.dispatch_campaign(campaign.pk) is None
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN
    assert set(campaign.invitations.values_list("stakeholder", flat=True)) == {a.pk, b.pk}
    assert Skip.objects.get(campaign=campaign).stakeholder == c
    assert len(mail.outbox) == 2
    # The email's link is the one that works; the database holds only its hash.
    link = mail.outbox[0].body.split("/s/")[1].split("/")[0]
    inv = Invitation.objects.get(token_hash=hash_token(link))
    assert link not in inv.token_hash
    assert mailing.send_invitations(campaign.pk).sent == []  # nothing sent twice


LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("start", "following"),
    [
        # A month end: 30 Nov + 3 months is the last day of February, same wall-clock time.
        (datetime(2026, 11, 30, 10, 0, tzinfo=LONDON), datetime(2027, 2, 28, 10, 0, tzinfo=LONDON)),
        pytest.param(
            datetime(2027, 1, 15, 10, 0, tzinfo=LONDON),
            datetime(2027, 4, 15, 10, 0, tzinfo=LONDON),
            id="across-summer-time",
        ),
    ],
)
def test_it_runs_a_quarterly_campaign_as_child_runs(
    make_campaign, unit_a, settings, start, following
):
    settings.TIME_ZONE = "Europe/London"
    _people(unit_a, 2)
    with time_machine.travel(start, tick=False):
        series = make_campaign(
            [unit_a],
            status=CampaignStatus.SCHEDULED,
            schedule=Schedule.QUARTERLY,
            next_run_at=timezone.now(),
        )
        run = services.dispatch_campaign(series.pk, now=timezone.now())
    series.refresh_from_db()
    assert run.parent == series and run.status == CampaignStatus.OPEN
    assert series.status == CampaignStatus.SCHEDULED
    assert series.next_run_at == following
    assert run.invitations.count() == 2


def test_it_refuses_to_schedule_a_campaign_with_no_recipients(make_campaign, unit_a, brm):
    campaign = make_campaign([unit_a])
    with pytest.raises(StateConflict, match="Nobody would receive"):
        services.schedule_campaign(campaign, actor=brm)


def test_it_refuses_units_the_brm_does_not_manage(brm, unit_b, template):
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(actor=brm, units=[unit_b], template=template, name="x")
    assert "units" in exc.value.message_dict


def _sent(make_campaign, sent_link, unit, days_ago, **fields):
    campaign = make_campaign([unit], status=CampaignStatus.OPEN, max_reminders=2, reminder_days=5)
    (p,) = _people(unit, 1)
    inv, raw = sent_link(campaign, p, sent_at=timezone.now() - timedelta(days=days_ago), **fields)
    return inv, raw


def test_it_sends_a_reminder_once_however_often_the_job_runs(make_campaign, sent_link, unit_a):
    inv, raw = _sent(make_campaign, sent_link, unit_a, 6)
    assert mailing.send_reminders().sent == [inv.pk]
    assert mailing.send_reminders().sent == []
    inv.refresh_from_db()
    assert inv.reminders_sent == 1 and len(mail.outbox) == 1
    assert inv.token_hash == hash_token(raw)  # the first email's link still works


def test_it_stops_at_the_configured_number_of_reminders(make_campaign, sent_link, unit_a):
    inv, _ = _sent(make_campaign, sent_link, unit_a, 6)
    now = timezone.now()
    for day in range(0, 30, 5):
        with time_machine.travel(now + timedelta(days=day), tick=False):
            mailing.send_reminders()
    inv.refresh_from_db()
    assert inv.reminders_sent == 2 and len(mail.outbox) == 2


def test_it_does_not_remind_people_who_answered_or_too_early(make_campaign, sent_link, unit_a):
    _sent(make_campaign, sent_link, unit_a, 6, answered_at=timezone.now())
    _sent(make_campaign, sent_link, unit_a, 2)
    assert mailing.send_reminders().sent == []


def test_it_sends_a_pulse_after_a_held_review_once(unit_a):
    attendee = StakeholderFactory.create(unit=unit_a)
    review = ServiceReviewFactory.create(
        unit=unit_a,
        status="held",
        held_at=timezone.now() - timedelta(hours=2),
        scheduled_at=timezone.now() - timedelta(hours=3),
    )
    review.attendees.set([attendee])
    made = pulses.find_pulse_sources()
    assert len(made) == 1 and pulses.find_pulse_sources() == []
    campaign = made[0].campaign
    assert list(campaign.recipients.all()) == [attendee]  # type: ignore[misc]  # plugin: M2M via a pulse
    assert services.dispatch_campaign(campaign.pk).invitations.get().stakeholder == attendee


def test_it_sends_a_pulse_to_the_complainant_after_resolution(unit_a):
    user = UserFactory.create()
    complainant = StakeholderFactory.create(unit=unit_a, user=user)
    ComplaintFactory.create(
        unit=unit_a, complainant=user, status="resolved", resolved_at=timezone.now()
    )
    (pulse,) = pulses.find_pulse_sources()
    assert list(pulse.campaign.recipients.all()) == [complainant]  # type: ignore[misc]  # plugin: M2M
    assert Pulse.objects.count() == 1


def test_it_ignores_old_reviews_for_pulses(unit_a):
    old = timezone.now() - timedelta(days=30)
    ServiceReviewFactory.create(unit=unit_a, status="held", held_at=old, scheduled_at=old)
    assert pulses.find_pulse_sources() == []


def test_it_closes_runs_whose_links_expired(make_campaign, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, closes_at=timezone.now())
    assert services.close_expired_campaigns() == 1
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED


def test_it_runs_the_beat_job_end_to_end(make_campaign, unit_a):
    from satisfaction import tasks

    _people(unit_a, 3)
    BusinessUnitFactory.create()
    make_campaign([unit_a], status=CampaignStatus.SCHEDULED, next_run_at=timezone.now())
    result = tasks.dispatch_due_campaigns()
    assert result["opened"] == 1 and result["sent"] == 3
    assert tasks.dispatch_due_campaigns()["sent"] == 0


# --- Through the kernel's delivery path ---------------------------------------------------------


def _unsent(make_campaign, unit):
    """An open campaign's invitation whose email is recorded but not yet sent."""
    campaign = make_campaign([unit], status=CampaignStatus.OPEN)
    (person,) = _people(unit, 1)
    invitation = Invitation.objects.create(
        campaign=campaign,
        stakeholder=person,
        token_hash=hash_token("placeholder"),
        expires_at=timezone.now() + timedelta(days=21),
    )
    mailing.queue_invitations(campaign)
    return invitation, OutboundEmail.objects.get(key=f"{mailing.INVITATION_EMAIL}:{invitation.pk}")


def _link(message) -> str:
    token: str = message.body.split("/s/")[1].split("/")[0]
    return token


def test_a_resent_invitation_carries_the_same_working_link(make_campaign, unit_a):
    invitation, email = _unsent(make_campaign, unit_a)
    # A worker claimed it, the mail server accepted it, and the worker died before the sent mark.
    assert delivery.claim(email.pk, now=timezone.now() - timedelta(minutes=10))
    outgoing = mailing.compose_invitation(email)
    assert outgoing is not None
    outgoing.email.extra_headers["Message-ID"] = email.message_id
    outgoing.email.send()
    invitation.refresh_from_db()
    assert invitation.sent_at is None  # not marked: the sweep must send it again
    assert delivery.sweep() == 1
    assert delivery.sweep() == 0
    first, again = mail.outbox
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"]
    assert _link(first) == _link(again)
    assert Invitation.objects.by_token(_link(first)) == invitation  # the link works
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_an_invitation_is_never_marked_sent_when_the_server_refused(
    make_campaign, unit_a, settings
):
    invitation, email = _unsent(make_campaign, unit_a)
    refusing_mail(settings)
    assert mailing.send_invitations(invitation.campaign_id).failed == [invitation.pk]
    invitation.refresh_from_db()
    assert invitation.sent_at is None and invitation.token_hash == hash_token("placeholder")


def test_it_thanks_once_however_often_it_runs(make_campaign, sent_link, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    (person,) = _people(unit_a, 1)
    invitation, _ = sent_link(campaign, person, answered_at=timezone.now())
    assert mailing.send_thank_you(invitation.pk) is True
    assert mailing.send_thank_you(invitation.pk) is False
    assert delivery.sweep() == 0
    [message] = mail.outbox
    assert message.subject == "Thank you for your feedback"
    invitation.refresh_from_db()
    assert invitation.thanked_at is not None


def test_an_unanswered_invitation_gets_no_thank_you(make_campaign, sent_link, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    (person,) = _people(unit_a, 1)
    invitation, _ = sent_link(campaign, person)
    assert mailing.send_thank_you(invitation.pk) is False
    assert mail.outbox == []
