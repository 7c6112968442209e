"""Project-level background jobs: the worker heartbeat that `/readyz` reads."""

from __future__ import annotations

from celery import shared_task

from brm.readiness import record_heartbeat


@shared_task(name="brm.heartbeat", ignore_result=True, acks_late=False, expires=60)
def heartbeat() -> None:
    """Beat queues this every 30 s; whichever worker runs it records the time (brm.readiness)."""
    record_heartbeat()
