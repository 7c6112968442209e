"""Queue Celery work after the transaction commits, without ever failing the user's request.

If the broker is down the record is already saved; the work stays pending in the record itself
(for example `Handover.pack_sent_at IS NULL`) and a periodic sweep queues it again once the broker
is back. That is why every task checks and claims its own work, and may safely run twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def queue_after_commit(task: Any, *args: Any) -> None:
    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # the broker being down must not lose or fail the saved record
            logger.warning("Could not queue %s%r; the periodic sweep will retry.", task.name, args)

    transaction.on_commit(send, robust=True)
