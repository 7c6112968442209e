"""Background jobs of the stakeholder register."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Handover
from stakeholders.selectors import handover_pack

logger = logging.getLogger(__name__)


@shared_task
def send_handover_pack(handover_id: int) -> bool:
    """Email the new BRM their handover pack, once.

    The conditional UPDATE claims the handover: if another worker (or a retry) got there first,
    it updates no row and this run sends nothing.
    """
    claimed = Handover.objects.filter(pk=handover_id, pack_sent_at__isnull=True).update(
        pack_sent_at=timezone.now()
    )
    if not claimed:
        logger.info("Handover %s: pack already sent, nothing to do.", handover_id)
        return False
    handover = Handover.objects.select_related("unit", "to_brm", "from_brm").get(pk=handover_id)
    recipient = handover.to_brm
    if recipient is None or not recipient.email:
        return False
    pack = handover_pack(handover.unit, recipient)
    context = {
        "handover": handover,
        "pack": pack,
        "url": settings.SITE_URL + reverse("stakeholders:unit_handover", args=[handover.unit_id]),
    }
    message = EmailMultiAlternatives(
        subject=f"Handover pack: {handover.unit.name}",
        body=render_to_string("stakeholders/email/handover_pack.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("stakeholders/email/handover_pack.html", context), "text/html"
    )
    message.send()
    return True


@shared_task
def sweep_pending_handover_packs() -> int:
    """Queue packs whose first attempt never reached the broker (it was down at commit time)."""
    stale = timezone.now() - timedelta(minutes=5)
    ids = list(
        Handover.objects.filter(
            pack_sent_at__isnull=True, to_brm__isnull=False, created_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for handover_id in ids:
        send_handover_pack.delay(handover_id)
    return len(ids)
