"""Queue Celery work after the transaction commits, without ever failing the user's request.

If the broker is down the record is already saved; the work stays pending in the record itself
(for emails, an `OutboundEmail` row still pending, see `brm.core.delivery`) and a periodic sweep
picks it up once the broker is back. That is why every task checks and claims its own work, and
may safely run twice.
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
        except Exception:  # the broker being down must not lose or fail the saved record
            logger.warning("Could not queue %s%r; the periodic sweep will retry.", task.name, args)

    transaction.on_commit(send, robust=True)
