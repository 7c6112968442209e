"""Models of the portfolio app (label `portfolio`): the service catalogue and the demand portfolio.

`catalogue` holds the services IT runs and their per-period figures; `demand` holds ideas,
business cases, realised benefits and their attestation. Django finds the models through this
package, so every model class is imported here; other apps import from `portfolio.models`.
"""

from __future__ import annotations

from portfolio.models.catalogue import Lifecycle, Service, ServiceMetric
from portfolio.models.demand import (
    ACTIVE_STATUSES,
    AFTER_DELIVERY,
    CLOSED_STATUSES,
    PIPELINE,
    BenefitAttestation,
    BenefitKind,
    BenefitRecord,
    Demand,
    DemandSettings,
    DemandStatus,
    DemandStatusChange,
    StrategicObjective,
    Urgency,
)

__all__ = [
    "ACTIVE_STATUSES",
    "AFTER_DELIVERY",
    "CLOSED_STATUSES",
    "PIPELINE",
    "BenefitAttestation",
    "BenefitKind",
    "BenefitRecord",
    "Demand",
    "DemandSettings",
    "DemandStatus",
    "DemandStatusChange",
    "Lifecycle",
    "Service",
    "ServiceMetric",
    "StrategicObjective",
    "Urgency",
]
