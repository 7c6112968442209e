"""Queue Celery work after the transaction commits, without ever failing or holding up a request.

If the broker is down, frozen or slow, the record is already saved; the work stays pending in the
record itself (for emails, an `OutboundEmail` row still pending, see `brm.core.delivery`) and a
periodic sweep picks it up once the broker is back. That is why every task checks and claims its
own work, and may safely run twice.

The publish is `task.delay`, which the project's Celery app (`brm.celery.Task`) bounds: one
attempt within ``CELERY_PUBLISH_TIMEOUT`` seconds (1 s by default), never retried inline, and no
attempt at all for ``CELERY_PUBLISH_PAUSE`` seconds after a failure in the same process.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def queue_after_commit(task: Any, *args: Any) -> None:
    """Queue `task(*args)` once the current transaction commits; a broker error is only logged."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as exc:  # the broker being down must not lose or fail the saved record
            logger.warning(
                "Could not queue %s%r (%s: %s); the periodic sweep will retry.",
                task.name,
                args,
                type(exc).__name__,
                exc,
            )

    transaction.on_commit(send, robust=True)
