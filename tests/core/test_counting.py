"""Lists count each related kind in a subquery of its own (issue 14, brm.core.counting): two
to-many relations counted in one GROUP BY joined and multiplied their rows (a service's
consumers x its months of metrics took 90 ms of database time at bench size)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from portfolio.models import Service, ServiceMetric
from portfolio.selectors.catalogue import service_list
from reviews.selectors import review_list
from stakeholders.selectors import unit_list
from tests.factories import BusinessUnitFactory, ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db


def test_the_catalogue_counts_consumers_and_periods_without_multiplying(
    brm: Any, unit_a: Any
) -> None:
    others = BusinessUnitFactory.create_batch(2, brm=brm)
    busy = ServiceFactory.create(name="Busy", consumers=[unit_a, *others])
    for availability in ("99.99", "99.99", "90.00", "99.99"):
        ServiceMetricFactory.create(service=busy, availability=Decimal(availability))
    ServiceFactory.create(name="Idle")

    rows: dict[str, Any] = {s.name: s for s in service_list(brm)}

    met = ServiceMetric.objects.filter(service=busy, sla_met=True).count()
    assert (rows["Busy"].consumer_count, rows["Busy"].periods, rows["Busy"].periods_met) == (
        3,
        4,
        met,
    )
    assert (rows["Idle"].consumer_count, rows["Idle"].periods, rows["Idle"].periods_met) == (
        0,
        0,
        0,
    )
    assert Service.objects.count() == len(rows)


@pytest.mark.parametrize("rows", [service_list, review_list, unit_list])
def test_no_list_groups_its_rows_to_count_them(brm: Any, rows: Callable[[Any], Any]) -> None:
    # A GROUP BY on the outer query is the mark of counting by joining (the kind fixed here).
    assert rows(brm).query.group_by is None
