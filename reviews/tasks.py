"""Background jobs of service reviews."""

from __future__ import annotations

import logging

from celery import shared_task

from reviews.notices import send_review_notices

logger = logging.getLogger(__name__)


@shared_task
def send_review_reminders() -> dict[str, int]:
    """Beat job: reminders before planned reviews, overdue notices and "review due, none
    planned" notices, each sent once; claims left by a crashed run are released and retried.
    """
    run = send_review_notices()
    result = {
        "reminders": len(run.reminders),
        "overdue": len(run.overdue),
        "unplanned": len(run.unplanned),
        "failed": len(run.failed),
        "released": run.released,
    }
    logger.info("Review notices: %s", result)
    return result
