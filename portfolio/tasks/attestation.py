"""Background jobs of the demand portfolio: asking sponsors to confirm realised benefits.

The jobs are thin: they call `portfolio.services.attestation` and queue the emails with
`brm.core.outbox.queue_after_commit`. That service module imports no task, so there is no circle.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from brm.core.outbox import queue_after_commit
from portfolio.services import attestation

# A request younger than this may still be on its way to the broker; the sweep leaves it alone.
SWEEP_GRACE = timedelta(minutes=2)


@shared_task
def send_benefit_attestation(attestation_id: int) -> bool:
    """Email one attestation request to the sponsor, once (see `deliver_attestation`)."""
    return attestation.deliver_attestation(attestation_id)


@shared_task
def request_benefit_attestations() -> int:
    """Daily: create the attestation requests that fell due (each once) and queue their emails.

    Returns how many requests were created. If queueing fails the rows stay unsent and the
    sweep queues them again.
    """
    ids = attestation.open_due_attestations()
    for pk in ids:
        queue_after_commit(send_benefit_attestation, pk)
    return len(ids)


@shared_task
def sweep_pending_benefit_attestations() -> int:
    """Queue attestation emails whose first queueing never reached the broker."""
    ids = attestation.pending_attestations(SWEEP_GRACE)
    for pk in ids:
        send_benefit_attestation.delay(pk)
    return len(ids)
