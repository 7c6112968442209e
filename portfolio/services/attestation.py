"""Benefit attestation: after delivery, the sponsor is asked to confirm the realised benefits.

`BenefitAttestation` is the outbox row of each request. `open_due_attestations` creates the rows
that fell due (each demand and period once), `deliver_attestation` emails one of them (once),
and `pending_attestations` finds the rows whose email never went out. The jobs in
`portfolio.tasks.attestation` call these functions and do the queueing; nothing here imports a
task, so the jobs can import this module without a circle. The sponsor's answer is
`portfolio.services.demand.confirm_benefits`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portfolio.models.demand import AFTER_DELIVERY, BenefitAttestation, Demand, DemandSettings

logger = logging.getLogger(__name__)


def attestation_due(delivered: date, today: date, interval: int, rounds: int) -> tuple[int, date]:
    """The latest round due by `today` (0 if none yet) and its date.

    Round k falls due `interval * k` days after delivery, for k = 1..`rounds`; after the last
    round the sponsor is not asked again.
    """
    if rounds <= 0 or today < delivered:
        return 0, delivered
    k = min((today - delivered).days // interval, rounds)
    return k, delivered + timedelta(days=interval * k)


def open_due_attestations(today: date | None = None) -> list[int]:
    """Create the attestation requests that fell due by `today` and return their ids.

    One request per demand and period: the unique (demand, due_on) claims it, so a second run,
    or a concurrent one, finds it taken and returns nothing for it. Only delivered demands with
    a sponsor are asked. The caller queues the emails (`deliver_attestation`).
    """
    today = today or timezone.localdate()
    config = DemandSettings.get()
    created: list[int] = []
    candidates = Demand.objects.filter(
        status__in=AFTER_DELIVERY, delivered_at__isnull=False, sponsor__isnull=False
    ).values_list("pk", "delivered_at")
    for pk, delivered_at in candidates:
        delivered = timezone.localdate(delivered_at)
        k, due = attestation_due(
            delivered, today, config.attestation_interval_days, config.attestation_rounds
        )
        if k == 0:
            continue
        try:
            with transaction.atomic():
                att = BenefitAttestation.objects.create(demand_id=pk, due_on=due, round=k)
        except IntegrityError:
            continue
        created.append(att.pk)
    return created


def pending_attestations(older_than: timedelta) -> list[int]:
    """Ids of requests created more than `older_than` ago whose email has not gone out."""
    stale = timezone.now() - older_than
    return list(
        BenefitAttestation.objects.filter(sent_at__isnull=True, created_at__lt=stale).values_list(
            "pk", flat=True
        )
    )


def deliver_attestation(attestation_id: int) -> bool:
    """Email the sponsor a link to confirm the realised benefits, once; True if it was sent.

    The conditional UPDATE on `sent_at` claims the row: a retry or a second worker sends
    nothing. If sending fails the claim is released (and the error re-raised) so the sweep tries
    again. A sponsor without an email address gets nothing and the row records no recipients.
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
