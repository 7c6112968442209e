"""Celery jobs of the portfolio app.

Celery's autodiscovery imports `portfolio.tasks`, so every task module is imported here.
"""

from __future__ import annotations

from portfolio.tasks.attestation import request_benefit_attestations

__all__ = ["request_benefit_attestations"]
