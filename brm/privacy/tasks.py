"""The nightly retention run (`CELERY_BEAT_SCHEDULE["privacy-retention"]`)."""

from __future__ import annotations

from celery import shared_task

from brm.privacy.services import apply_retention


@shared_task(name="brm.privacy.apply_retention")
def apply_retention_task() -> dict[str, int]:
    """Apply the retention periods; returns what was removed. Safe to run twice."""
    return apply_retention()
