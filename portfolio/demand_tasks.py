"""Background jobs of the demand portfolio: asking sponsors to confirm realised benefits."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portfolio import demand_services
from portfolio.demand_models import BenefitAttestation

logger = logging.getLogger(__name__)


@shared_task
def request_benefit_attestations() -> int:
    """Daily: create the attestation requests that fell due (each once) and queue their emails."""
    return demand_services.request_attestations()


@shared_task
def send_benefit_attestation(attestation_id: int) -> bool:
    """Email the sponsor a link to confirm the realised benefits, once.

    The conditional UPDATE on `sent_at` claims the row: a retry or a second worker sends
    nothing. If sending fails the claim is released so the sweep tries again.
    """
    now = timezone.now()
    claimed = BenefitAttestation.objects.filter(pk=attestation_id, sent_at__isnull=True).update(
        sent_at=now
    )
    if not claimed:
        logger.info("Benefit attestation %s already sent.", attestation_id)
        return False
    att = BenefitAttestation.objects.select_related("demand__sponsor", "demand__unit").get(
        pk=attestation_id
    )
    demand = att.demand
    sponsor = demand.sponsor
    to = [sponsor.email] if sponsor is not None and sponsor.email else []
    if not to:
        BenefitAttestation.objects.filter(pk=att.pk).update(recipients="")
        return False
    context = {
        "attestation": att,
        "demand": demand,
        "sponsor": sponsor,
        "url": settings.SITE_URL + reverse("demands:demand_confirm", args=[demand.pk]),
    }
    message = EmailMessage(
        subject=f"Please confirm the benefits of {demand.reference}: {demand.title}",
        body=render_to_string("portfolio/demand_email_attestation.txt", context),
        to=to,
    )
    try:
        message.send()
    except Exception:
        BenefitAttestation.objects.filter(pk=att.pk).update(sent_at=None)
        raise
    BenefitAttestation.objects.filter(pk=att.pk).update(recipients=", ".join(to))
    return True


@shared_task
def sweep_pending_benefit_attestations() -> int:
    """Queue attestation emails whose first queueing never reached the broker."""
    ids = demand_services.pending_attestations(timedelta(minutes=2))
    for pk in ids:
        send_benefit_attestation.delay(pk)
    return len(ids)
