"""The kernel's Celery tasks (found by autodiscovery): sending queued emails and the sweep."""

from __future__ import annotations

from brm.core.delivery import deliver_email, sweep_outbound_emails

__all__ = ["deliver_email", "sweep_outbound_emails"]
