"""Cross-app records of the `brm` app: the timestamp base, API tokens and relationship health."""

from __future__ import annotations

from brm.models.base import TimeStampedModel
from brm.models.health import (
    DigestLog,
    HealthSettings,
    HealthSnapshot,
    ImprovementPlan,
    MaturityAssessment,
    MaturityLevel,
)
from brm.models.tokens import TOKEN_PREFIX, ApiToken

__all__ = [
    "TOKEN_PREFIX",
    "ApiToken",
    "DigestLog",
    "HealthSettings",
    "HealthSnapshot",
    "ImprovementPlan",
    "MaturityAssessment",
    "MaturityLevel",
    "TimeStampedModel",
]
