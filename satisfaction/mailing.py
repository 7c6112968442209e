"""Survey emails: invitations, reminders and thank-you notes, through the kernel's one delivery
path (`brm.core.delivery`: claimed once, marked sent only after the mail server accepted it,
retried after a failure or a dead worker, each resend with the same Message-ID).

Every email of one invitation (the invitation, each resend, each reminder) carries the SAME survey
link (`link_token`: the invitation's id and an HMAC of it under the site's secret), so every link
a person received works until it is used or the campaign closes; no raw token is stored (its hash
is written with the first email's sent mark, and `answering.invitation_for_link` also verifies the
HMAC, so a link sent before a token change keeps working too).

A thank-you or reminder is never sent for an answer or due date older than
``settings.NOTIFICATION_MAX_AGE_DAYS`` (a backlog, demo data, a long outage): the kernel's one
rule, `brm.core.delivery.too_old`, which review notices use too.
"""

from __future__ import annotations

import logging
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from brm.core import delivery
from brm.core.delivery import Outcome, Outgoing, notification_cutoff, too_old
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from brm.core.schedule import start_of_local_day, to_local
from satisfaction.models import Campaign, CampaignStatus, Invitation, hash_token

logger = logging.getLogger(__name__)

INVITATION_EMAIL = "satisfaction.invitation"  # composer: compose_invitation
REMINDER_EMAIL = "satisfaction.reminder"  # composer: compose_reminder
THANKS_EMAIL = "satisfaction.thanks"  # composer: compose_thank_you


@dataclass
class MailRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def add(self, invitation_id: int, outcome: Outcome) -> None:
        if outcome == Outcome.SENT:
            self.sent.append(invitation_id)
        elif outcome in {Outcome.RETRY, Outcome.FAILED}:
            self.failed.append(invitation_id)


def survey_url(raw: str) -> str:
    return settings.SITE_URL + reverse("satisfaction:answer", args=[raw])


LINK_SALT = "satisfaction.survey-link"


def link_token(invitation_id: int) -> str:
    """The raw survey token of invitation `invitation_id`, the same in all its emails:
    ``"<id>.<HMAC-SHA256 of the id under the site's secret, URL-safe base64>"``."""
    digest = salted_hmac(LINK_SALT, f"invitation:{invitation_id}", algorithm="sha256").digest()
    return f"{invitation_id}.{urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def reminder_due_at(invitation: Invitation) -> datetime | None:
    """When `invitation`'s next reminder falls due: the start of the local calendar day
    `campaign.reminder_days` days after its last email (the last reminder, else the invitation),
    in the site's time zone (`brm.core.schedule`). Counted in local calendar days, not elapsed
    24-hour periods: an invitation sent on Friday at 17:00 with 3 days between reminders is
    reminded from Monday 00:00, also when summer time began in between. None before it was sent.
    The reminder job and the composer both ask this, so they never disagree."""
    last = invitation.last_reminded_at or invitation.sent_at
    if last is None:
        return None
    day = to_local(last).date() + timedelta(days=invitation.campaign.reminder_days)
    return start_of_local_day(day)


def _email(invitation: Invitation, raw: str | None, kind: str) -> EmailMultiAlternatives:
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
    # The person's language when they have an account that chose one, else the site's.
    with translation.override(language_for([person.email])):
        subjects = {
            "invitation": _("One minute of your time: %(survey)s")
            % {"survey": campaign.template.name},
            "reminder": _("Reminder: %(survey)s") % {"survey": campaign.template.name},
            "thanks": _("Thank you for your feedback"),
        }
        message = EmailMultiAlternatives(
            subject=subjects[kind],
            body=render_to_string("satisfaction/email/survey.txt", context),
            to=[person.email],
        )
        message.attach_alternative(
            render_to_string("satisfaction/email/survey.html", context), "text/html"
        )
    return message


def _pending(qs: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return qs.select_related("campaign__template", "stakeholder__unit")


def _open_invitation(pk: int) -> Invitation | None:
    """The invitation if its survey can still be answered and it has somebody to write to."""
    return (
        _pending(Invitation.objects.filter(pk=pk))
        .filter(
            campaign__status=CampaignStatus.OPEN,
            answered_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(stakeholder__email="")
        .first()
    )


# --- Composers (called by the kernel at send time) --------------------------------------------


def compose_invitation(row: OutboundEmail) -> Outgoing | None:
    """Invitation ``row.ref``'s first email; None if it went out already, was answered, expired,
    its campaign closed, or the person has no email address."""
    invitation = _open_invitation(row.ref)
    if invitation is None or invitation.sent_at is not None:
        return None
    raw = link_token(invitation.pk)

    def on_sent(sent_at: datetime) -> None:
        Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
            sent_at=sent_at, token_hash=hash_token(raw), send_failed_at=None, updated_at=sent_at
        )

    return Outgoing(_email(invitation, raw, "invitation"), on_sent)


def compose_reminder(row: OutboundEmail) -> Outgoing | None:
    """Reminder number n (the key's last part) of invitation ``row.ref``, with a fresh link;
    None once it no longer applies (answered, expired, closed, or reminder n already counted)."""
    number = int(row.key.rsplit(":", 1)[1])
    invitation = _open_invitation(row.ref)
    if invitation is None or invitation.reminders_sent != number - 1:
        return None
    due_at = reminder_due_at(invitation)
    if due_at is None or too_old(due_at):
        return None
    raw = link_token(invitation.pk)  # the same link as the invitation's: that one keeps working

    def on_sent(sent_at: datetime) -> None:
        Invitation.objects.filter(pk=invitation.pk, reminders_sent=number - 1).update(
            reminders_sent=number, last_reminded_at=sent_at, updated_at=sent_at
        )

    return Outgoing(_email(invitation, raw, "reminder"), on_sent)


def compose_thank_you(row: OutboundEmail) -> Outgoing | None:
    """The thank-you for answered invitation ``row.ref``; None if not answered, thanked already,
    or answered more than NOTIFICATION_MAX_AGE_DAYS ago."""
    invitation = (
        _pending(Invitation.objects.filter(pk=row.ref))
        .filter(answered_at__isnull=False, thanked_at__isnull=True)
        .exclude(stakeholder__email="")
        .first()
    )
    if invitation is None or too_old(invitation.answered_at):
        return None

    def on_sent(sent_at: datetime) -> None:
        Invitation.objects.filter(pk=invitation.pk, thanked_at__isnull=True).update(
            thanked_at=sent_at
        )

    return Outgoing(_email(invitation, None, "thanks"), on_sent)


# --- Queueing (in the business transaction) and the periodic jobs -----------------------------


def queue_invitations(campaign: Campaign) -> int:
    """Record the invitation email of every unsent invitation of `campaign`, each sent after
    the caller's transaction commits. Returns how many were queued."""
    ids = list(campaign.invitations.filter(sent_at__isnull=True).values_list("pk", flat=True))
    for pk in ids:
        delivery.enqueue(INVITATION_EMAIL, pk)
    return len(ids)


def queue_thank_you(invitation: Invitation) -> None:
    """Record the thank-you email of a just-answered invitation; sent after commit, once."""
    delivery.enqueue(THANKS_EMAIL, invitation.pk)


def send_invitations(campaign_id: int) -> MailRun:
    """Email every invitation of an open campaign not yet sent; each one once."""
    run = MailRun()
    for pk in Invitation.objects.filter(
        campaign_id=campaign_id,
        campaign__status=CampaignStatus.OPEN,
        sent_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).values_list("pk", flat=True):
        run.add(pk, delivery.send_now(INVITATION_EMAIL, pk))
    return run


def send_reminders(now: datetime | None = None) -> MailRun:
    """Remind non-respondents, at most the campaign's number of times, `reminder_days` local
    calendar days apart (`reminder_due_at`).

    Reminder n of an invitation is one email (key ``satisfaction.reminder:<id>:<n>``), so a
    second run (or worker) finds it taken. Each reminder carries the invitation's own link, so
    the first email's link keeps working.
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
        due_at = reminder_due_at(invitation)
        if due_at is None or due_at > now:
            continue
        key = f"{REMINDER_EMAIL}:{invitation.pk}:{invitation.reminders_sent + 1}"
        run.add(invitation.pk, delivery.send_now(REMINDER_EMAIL, invitation.pk, key=key))
    return run


def send_thank_you(invitation_id: int) -> bool:
    """The thank-you after an answer, now; True if this call sent it (each goes once)."""
    return delivery.send_now(THANKS_EMAIL, invitation_id) == Outcome.SENT


def pending_thank_you_ids(limit: int = 500) -> list[int]:
    """Answered invitations still owed a thank-you, answered within NOTIFICATION_MAX_AGE_DAYS."""
    return list(
        Invitation.objects.filter(
            answered_at__isnull=False,
            answered_at__gte=notification_cutoff(),
            thanked_at__isnull=True,
        )
        .exclude(stakeholder__email="")
        .values_list("pk", flat=True)[:limit]
    )
