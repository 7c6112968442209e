"""Every survey link a person received works until it is used or the campaign closes (a
reminder never breaks the first email's link); a thank-you or reminder is never sent for an
answer or due date older than NOTIFICATION_MAX_AGE_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from brm.core import delivery
from satisfaction import answering, mailing
from satisfaction.answering import LinkState
from satisfaction.models import CampaignStatus, Invitation, hash_token
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    token: str = message.body.split("/s/")[1].split("/")[0]
    return token


def _invited(make_campaign, unit, **campaign_fields):
    campaign = make_campaign(
        [unit], status=CampaignStatus.OPEN, max_reminders=2, reminder_days=5, **campaign_fields
    )
    person = StakeholderFactory.create(unit=unit)
    invitation = Invitation.objects.create(
        campaign=campaign,
        stakeholder=person,
        token_hash=hash_token("unsent"),
        expires_at=timezone.now() + timedelta(days=30),
    )
    mailing.send_invitations(campaign.pk)
    return invitation


def _remind(invitation, days_later):
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(days=days_later),
        last_reminded_at=None
        if invitation.reminders_sent == 0
        else timezone.now() - timedelta(days=days_later),
    )
    return mailing.send_reminders()


def test_the_first_link_and_every_reminders_link_work_until_used(make_campaign, unit_a, client):
    invitation = _invited(make_campaign, unit_a)
    assert _remind(invitation, 6).sent == [invitation.pk]
    invitation.refresh_from_db()
    Invitation.objects.filter(pk=invitation.pk).update(
        last_reminded_at=timezone.now() - timedelta(days=6)
    )
    assert mailing.send_reminders().sent == [invitation.pk]
    links = [_link(m) for m in mail.outbox]
    assert len(links) == 3  # invitation and two reminders
    for link in links:
        found = answering.invitation_for_link(link)
        assert found == invitation
        assert answering.link_state(found) == LinkState.OK
        assert client.get(f"/s/{link}/").status_code == 200
    # Used: every link now says so.
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=timezone.now())
    for link in links:
        assert answering.link_state(answering.invitation_for_link(link)) == LinkState.USED


def test_a_link_sent_before_the_reminder_scheme_keeps_working(make_campaign, sent_link, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, max_reminders=1, reminder_days=5)
    invitation, raw = sent_link(
        campaign,
        StakeholderFactory.create(unit=unit_a),
        sent_at=timezone.now() - timedelta(days=6),
    )
    assert mailing.send_reminders().sent == [invitation.pk]
    assert answering.invitation_for_link(raw) == invitation
    assert answering.invitation_for_link(_link(mail.outbox[0])) == invitation


def test_links_stop_when_the_campaign_closes(make_campaign, unit_a):
    invitation = _invited(make_campaign, unit_a)
    link = _link(mail.outbox[0])
    invitation.campaign.status = CampaignStatus.CLOSED
    invitation.campaign.save()
    assert answering.link_state(answering.invitation_for_link(link)) == LinkState.CLOSED


@pytest.mark.parametrize("raw", ["1.forged", "999999.x", "abc", "", "1." + "A" * 43, "x" * 200])
def test_a_forged_link_finds_nothing(make_campaign, unit_a, raw):
    _invited(make_campaign, unit_a)
    assert answering.invitation_for_link(raw) is None


def test_no_thank_you_for_an_old_answer(make_campaign, sent_link, unit_a, settings):
    settings.NOTIFICATION_MAX_AGE_DAYS = 3
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    old, _ = sent_link(
        campaign,
        StakeholderFactory.create(unit=unit_a),
        answered_at=timezone.now() - timedelta(days=4),
    )
    fresh, _ = sent_link(
        campaign, StakeholderFactory.create(unit=unit_a), answered_at=timezone.now()
    )
    assert mailing.pending_thank_you_ids() == [fresh.pk]
    assert mailing.send_thank_you(old.pk) is False
    assert mailing.send_thank_you(fresh.pk) is True
    assert len(mail.outbox) == 1


def test_no_reminder_long_after_it_was_due(make_campaign, sent_link, unit_a, settings):
    settings.NOTIFICATION_MAX_AGE_DAYS = 3
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, max_reminders=2, reminder_days=5)
    invitation, _ = sent_link(
        campaign,
        StakeholderFactory.create(unit=unit_a),
        sent_at=timezone.now() - timedelta(days=9),  # reminder was due 4 days ago
    )
    assert mailing.send_reminders().sent == []
    assert delivery.sweep() == 0
    assert mail.outbox == []
