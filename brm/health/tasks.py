"""Background jobs of the cross-app parts: health recompute and the weekly leadership digest."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from brm.health.engine import recompute_health
from brm.health.models import DigestLog

logger = logging.getLogger(__name__)


@shared_task
def recompute_health_task() -> int:
    """Recompute every unit's health (idempotent: one snapshot per unit and day)."""
    stored = recompute_health()
    logger.info("Health recomputed for %d units.", len(stored))
    return len(stored)


@shared_task
def send_weekly_digest() -> bool:
    """Send leadership the week's changes, once per week.

    The DigestLog row for the week is the claim: a second run (or a retry) finds it and sends
    nothing. If sending fails the claim is removed so the next run tries again.
    """
    from brm.health.digest import send_digest

    today = timezone.localdate()
    week_start = today - timedelta(days=today.weekday())
    try:
        with transaction.atomic():
            log = DigestLog.objects.create(week_start=week_start)
    except IntegrityError:
        logger.info("Digest for week %s already sent.", week_start)
        return False
    try:
        recipients = send_digest(week_start)
    except Exception:
        log.delete()
        raise
    DigestLog.objects.filter(pk=log.pk).update(sent_at=timezone.now(), recipients=recipients)
    return True
