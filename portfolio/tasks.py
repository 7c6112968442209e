"""Celery autodiscovery imports `<app>.tasks`; the demand jobs live in their own module."""

from __future__ import annotations

from portfolio.demand_tasks import (  # noqa: F401
    request_benefit_attestations,
    send_benefit_attestation,
    sweep_pending_benefit_attestations,
)
