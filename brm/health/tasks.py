"""Background jobs of the cross-app parts: health recompute and the weekly leadership digest."""

from __future__ import annotations

import logging

from celery import shared_task

from brm.core.delivery import Outcome
from brm.health import digest
from brm.health.engine import recompute_health

logger = logging.getLogger(__name__)


@shared_task
def recompute_health_task() -> int:
    """Recompute every unit's health (idempotent: one snapshot per unit and day)."""
    stored = recompute_health()
    logger.info("Health recomputed for %d units.", len(stored))
    return len(stored)


@shared_task
def send_weekly_digest() -> bool:
    """Send leadership the week's changes, once per week (the week's `DigestLog` row and its one
    outbox email; see `brm.health.digest.send_weekly_digest`). True if this run sent it."""
    outcome = digest.send_weekly_digest()
    logger.info("Weekly digest: %s.", outcome)
    return outcome == Outcome.SENT
