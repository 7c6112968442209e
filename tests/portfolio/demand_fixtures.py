"""Fixtures shared by the demand tests (imported explicitly by each module)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolio.models import Demand, DemandStatus
from stakeholders.models import Stakeholder
from tests.factories import DemandFactory, StrategicObjectiveFactory

CASE = {
    "benefit_kind": "cost_saving",
    "expected_benefit": Decimal("120000"),
    "estimated_cost": Decimal("80000"),
    "alignment": 3,
    "risk": 3,
    "effort": 2,
    "priority_score": Decimal("1.69"),
}


@pytest.fixture
def objectives(db):
    return [
        StrategicObjectiveFactory.create(name="Grow revenue"),
        StrategicObjectiveFactory.create(name="Reduce risk"),
    ]


@pytest.fixture
def demand_a(unit_a, leader) -> Demand:
    """An idea of unit A, sponsored by `leader`."""
    demand: Demand = DemandFactory.create(
        unit=unit_a, sponsor=Stakeholder.objects.get(user=leader), submitted_by=leader
    )
    return demand


@pytest.fixture
def demand_b(unit_b, leader_b) -> Demand:
    demand: Demand = DemandFactory.create(
        unit=unit_b, sponsor=Stakeholder.objects.get(user=leader_b)
    )
    return demand


def with_case(demand: Demand, status: str = DemandStatus.ASSESSING) -> Demand:
    for name, value in CASE.items():
        setattr(demand, name, value)
    demand.status = status
    demand.save()
    return demand
