"""The kernel's records: the timestamp, version and unit-scoped bases every app builds on, API
tokens and the outbox of emails, and each person's time zone and notification preferences."""

from __future__ import annotations

from brm.core.models.audit import AuditEvent
from brm.core.models.base import (
    SingletonSettings,
    TimeStampedModel,
    UnitScopedModel,
    UnitScopedQuerySet,
    VersionedModel,
)
from brm.core.models.delivery import DeliveryState, OutboundEmail
from brm.core.models.inbox import Notification, NotificationQuerySet
from brm.core.models.preferences import (
    AddressOptOut,
    DeferredEmail,
    DeliveryMode,
    UserPreference,
    validate_time_zone,
)
from brm.core.models.tokens import TOKEN_PREFIX, ApiToken

__all__ = [
    "TOKEN_PREFIX",
    "AddressOptOut",
    "ApiToken",
    "AuditEvent",
    "DeferredEmail",
    "DeliveryMode",
    "DeliveryState",
    "Notification",
    "NotificationQuerySet",
    "OutboundEmail",
    "SingletonSettings",
    "TimeStampedModel",
    "UnitScopedModel",
    "UnitScopedQuerySet",
    "UserPreference",
    "VersionedModel",
    "validate_time_zone",
]
