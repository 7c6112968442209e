"""Background jobs of the demand portfolio: asking sponsors to confirm realised benefits.

The job is thin: it calls `portfolio.services.attestation`, which records each request with its
email; the kernel's delivery path (`brm.core.delivery`) sends the emails and retries them.
"""

from __future__ import annotations

from celery import shared_task

from portfolio.services import attestation


@shared_task
def request_benefit_attestations() -> int:
    """Daily: create the attestation requests that fell due (each once) with their emails.

    Returns how many requests were created.
    """
    return len(attestation.open_due_attestations())
