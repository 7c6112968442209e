"""Background jobs of surveys. Thin: they take ids and call services that claim their work.

The emails themselves are recorded by the services (`satisfaction.mailing.queue_*`) and sent by
the kernel's delivery task; the beat job below also sends what older records left unsent.
"""

from __future__ import annotations

import logging

from celery import shared_task

from satisfaction import mailing, pulses, services
from satisfaction.models import Campaign, CampaignStatus

logger = logging.getLogger(__name__)


@shared_task
def dispatch_due_campaigns() -> dict[str, int]:
    """Beat job: create pulses, open due campaigns, send what is unsent, close expired runs.

    Sending also picks up invitations and thank-yous whose email was never recorded or queued
    (records from before the kernel outbox, or a broker outage); each still goes once.
    """
    made = pulses.find_pulse_sources()
    opened = [
        c for c in (services.dispatch_campaign(pk) for pk in services.due_campaign_ids()) if c
    ]
    sent = failed = 0
    for pk in (
        Campaign.objects.filter(status=CampaignStatus.OPEN, invitations__sent_at__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    ):
        run = mailing.send_invitations(pk)
        sent, failed = sent + len(run.sent), failed + len(run.failed)
    thanked = sum(mailing.send_thank_you(pk) for pk in mailing.pending_thank_you_ids())
    closed = services.close_expired_campaigns()
    result = {
        "pulses": len(made),
        "opened": len(opened),
        "sent": sent,
        "failed": failed,
        "thanked": thanked,
        "closed": closed,
    }
    logger.info("Survey dispatch: %s", result)
    return result


@shared_task
def send_survey_reminders() -> dict[str, int]:
    """Beat job: reminders to non-respondents, each reminder number sent once."""
    run = mailing.send_reminders()
    result = {"sent": len(run.sent), "failed": len(run.failed)}
    logger.info("Survey reminders: %s", result)
    return result
