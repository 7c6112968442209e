"""Background jobs of service reviews."""

from __future__ import annotations

import logging

from celery import shared_task

from reviews.services import send_review_notices

logger = logging.getLogger(__name__)


@shared_task
def send_review_reminders() -> dict[str, int]:
    """Beat job: reminders before planned reviews and overdue notices, each sent once."""
    run = send_review_notices()
    result = {
        "reminders": len(run.reminders),
        "overdue": len(run.overdue),
        "failed": len(run.failed),
    }
    logger.info("Review notices: %s", result)
    return result
