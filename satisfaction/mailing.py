"""Survey emails: invitations, reminders and thank-you notes, each claimed before it is sent.

The raw token is drawn at send time and written (as a hash) in the same conditional UPDATE that
claims the email, so running a job twice sends nothing twice, and no raw token is ever stored.
A failed send releases its claim so the next run tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from satisfaction.models import CampaignStatus, Invitation, new_token

logger = logging.getLogger(__name__)


@dataclass
class MailRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def survey_url(raw: str) -> str:
    return settings.SITE_URL + reverse("satisfaction:answer", args=[raw])


def _send(invitation: Invitation, raw: str | None, kind: str) -> None:
    person = invitation.stakeholder
    campaign = invitation.campaign
    context = {
        "name": person.name,
        "campaign": campaign,
        "kind": kind,
        "url": survey_url(raw) if raw else "",
        "expires_at": invitation.expires_at,
        "unit": person.unit,
    }
    subjects = {
        "invitation": f"One minute of your time: {campaign.template.name}",
        "reminder": f"Reminder: {campaign.template.name}",
        "thanks": "Thank you for your feedback",
    }
    message = EmailMultiAlternatives(
        subject=subjects[kind],
        body=render_to_string("satisfaction/email/survey.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string("satisfaction/email/survey.html", context), "text/html"
    )
    message.send()


def _pending(qs):  # type: ignore[no-untyped-def]
    return qs.select_related("campaign__template", "stakeholder__unit")


def send_invitations(campaign_id: int, now: datetime | None = None) -> MailRun:
    """Email every invitation of an open campaign not yet sent; each one once."""
    now = now or timezone.now()
    run = MailRun()
    for invitation in _pending(
        Invitation.objects.filter(
            campaign_id=campaign_id,
            campaign__status=CampaignStatus.OPEN,
            sent_at__isnull=True,
            expires_at__gt=now,
        )
    ):
        raw, digest = new_token()
        if not Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
            sent_at=now, token_hash=digest, send_failed_at=None
        ):
            continue  # another worker got there first
        try:
            _send(invitation, raw, "invitation")
        except Exception:
            logger.exception("Survey invitation %s failed; will retry.", invitation.pk)
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=None, send_failed_at=now)
            run.failed.append(invitation.pk)
            continue
        run.sent.append(invitation.pk)
    return run


def send_reminders(now: datetime | None = None) -> MailRun:
    """Remind non-respondents, at most the campaign's number of times, `reminder_days` apart.

    The claim is `reminders_sent = n -> n + 1`: a second run (or worker) finds the number moved.
    Each reminder carries a fresh link; the earlier one stops working.
    """
    now = now or timezone.now()
    run = MailRun()
    due = Invitation.objects.filter(
        campaign__status=CampaignStatus.OPEN,
        sent_at__isnull=False,
        answered_at__isnull=True,
        expires_at__gt=now,
        reminders_sent__lt=F("campaign__max_reminders"),
    ).order_by("pk")
    for invitation in _pending(due):
        last = invitation.last_reminded_at or invitation.sent_at
        if last is None or last > now - timedelta(days=invitation.campaign.reminder_days):
            continue
        number = invitation.reminders_sent
        raw, digest = new_token()
        old_hash = invitation.token_hash
        if not Invitation.objects.filter(
            pk=invitation.pk, reminders_sent=number, answered_at__isnull=True
        ).update(reminders_sent=number + 1, last_reminded_at=now, token_hash=digest):
            continue
        try:
            _send(invitation, raw, "reminder")
        except Exception:
            logger.exception(
                "Survey reminder %s #%s failed; will retry.", invitation.pk, number + 1
            )
            Invitation.objects.filter(pk=invitation.pk, reminders_sent=number + 1).update(
                reminders_sent=number,
                last_reminded_at=invitation.last_reminded_at,
                token_hash=old_hash,
            )
            run.failed.append(invitation.pk)
            continue
        run.sent.append(invitation.pk)
    return run


def send_thank_you(invitation_id: int) -> bool:
    """A short thank-you after an answer; claimed by `thanked_at` so it goes once."""
    invitation = _pending(Invitation.objects.filter(pk=invitation_id)).first()
    if invitation is None or invitation.answered_at is None:
        return False
    if not Invitation.objects.filter(pk=invitation_id, thanked_at__isnull=True).update(
        thanked_at=timezone.now()
    ):
        return False
    try:
        _send(invitation, None, "thanks")
    except Exception:
        logger.exception("Survey thank-you %s failed; will retry.", invitation_id)
        Invitation.objects.filter(pk=invitation_id).update(thanked_at=None)
        return False
    return True


def pending_thank_you_ids(limit: int = 500) -> list[int]:
    return list(
        Invitation.objects.filter(answered_at__isnull=False, thanked_at__isnull=True)
        .exclude(stakeholder__email="")
        .values_list("pk", flat=True)[:limit]
    )
