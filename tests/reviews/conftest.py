from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import ServiceFactory, ServiceMetricFactory, StakeholderFactory


@pytest.fixture
def email_service(unit_a):
    service = ServiceFactory.create(
        name="Email", consumers=[unit_a], availability_target=Decimal("99.5")
    )
    ServiceMetricFactory.create(
        service=service,
        period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30),
        availability=Decimal("99.9"),
        incidents=2,
    )
    ServiceMetricFactory.create(
        service=service,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        availability=Decimal("99.1"),
        incidents=5,
        major_incidents=1,
    )
    return service


@pytest.fixture
def cfo(unit_a):
    return StakeholderFactory.create(unit=unit_a, name="Carla Ortiz", email="carla@example.org")


# Every time-dependent test runs at this moment (a Tuesday morning).
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    """Freeze the clock at NOW for the whole test."""
    time_machine.move_to(NOW, tick=False)
    return NOW
