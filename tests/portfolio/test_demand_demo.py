"""Demo demands: about 40, every state, partial benefits; a second run adds nothing."""

from __future__ import annotations

import pytest

from portfolio.demo import seed_demands_demo
from portfolio.models import BenefitRecord, Demand, DemandStatus
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


def test_it_seeds_every_state_once(brm, leader):
    for i in range(3):
        BusinessUnitFactory.create(brm=brm, code=f"d{i}")
    assert seed_demands_demo() == 40
    assert seed_demands_demo() == 0
    assert set(Demand.objects.values_list("status", flat=True)) == set(DemandStatus.values)
    assert BenefitRecord.objects.filter(confirmed_at__isnull=False).exists()
    assert BenefitRecord.objects.filter(confirmed_at__isnull=True).exists()
    assert Demand.objects.filter(rank_override__isnull=False).count() == 2
