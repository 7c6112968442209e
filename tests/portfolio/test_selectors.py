from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portfolio.models import Lifecycle
from portfolio.selectors.catalogue import performance_pack
from tests.factories import ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db


def _month(service, month, availability, incidents=0, major=0, workload=None, response=None):
    end = date(2026, month + 1, 1) if month < 12 else date(2027, 1, 1)
    return ServiceMetricFactory.create(
        service=service,
        period_start=date(2026, month, 1),
        period_end=end.fromordinal(end.toordinal() - 1),
        availability=Decimal(availability),
        incidents=incidents,
        major_incidents=major,
        workload=workload,
        response_time_minutes=response,
    )


@pytest.fixture
def email(unit_a):
    service = ServiceFactory.create(
        name="Email",
        consumers=[unit_a],
        availability_target=Decimal("99.5"),
        workload_limit=1000,
        response_time_target_minutes=30,
    )
    _month(service, 1, "99.900", incidents=2, workload=900, response=20)  # before the period
    _month(service, 2, "99.800", incidents=3, major=1, workload=950, response=25)
    _month(service, 3, "99.100", incidents=7, major=2, workload=1200, response=40)  # missed
    _month(service, 4, "99.600", incidents=1, workload=1000, response=45)  # response missed
    return service


def test_it_computes_the_pack_figures_for_the_period(unit_a, email):
    # Periods ending 1 Feb..30 Apr: February, March, April (January ended on 31 Jan).
    pack = performance_pack(unit_a, date(2026, 2, 1), date(2026, 4, 30))
    [row] = pack["services"]
    assert row["name"] == "Email"
    assert row["periods"] == 3
    # (99.8 + 99.1 + 99.6) / 3 = 298.5 / 3 = 99.5
    assert row["availability_avg"] == 99.5
    assert row["availability_min"] == 99.1
    assert row["incidents"] == 3 + 7 + 1
    assert row["major_incidents"] == 1 + 2
    assert row["workload"] == 950 + 1200 + 1000
    assert row["periods_over_limit"] == 1  # only March's 1200 exceeds 1000 (1000 is within)
    # February met; March missed availability; April missed the 30-minute response target.
    assert (row["periods_met"], row["periods_missed"]) == (1, 2)
    assert row["sla_met"] is False
    assert row["response_time_avg_minutes"] == round((25 + 40 + 45) / 3, 1)
    assert [t["period"] for t in row["trend"]] == ["2026-02-01", "2026-03-01", "2026-04-01"]
    assert [t["met"] for t in row["trend"]] == [True, False, False]
    assert pack["all_green"] is False


def test_it_reports_all_green_when_every_period_met_its_sla(unit_a, email):
    pack = performance_pack(unit_a, date(2026, 1, 1), date(2026, 2, 28))
    assert pack["services"][0]["periods"] == 2
    assert pack["services"][0]["sla_met"] is True
    assert pack["all_green"] is True


def test_it_shows_no_data_rather_than_green_for_a_service_without_figures(unit_a):
    ServiceFactory.create(name="Quiet", consumers=[unit_a])
    pack = performance_pack(unit_a, date(2026, 1, 1), date(2026, 3, 31))
    assert pack["services"][0]["sla_met"] is None
    assert pack["services"][0]["availability_avg"] is None
    assert pack["all_green"] is False


def test_it_leaves_out_pipeline_services_and_other_units_services(unit_a, unit_b, email):
    ServiceFactory.create(name="Coming", consumers=[unit_a], lifecycle=Lifecycle.PIPELINE)
    ServiceFactory.create(name="Elsewhere", consumers=[unit_b])
    pack = performance_pack(unit_a, date(2026, 1, 1), date(2026, 3, 31))
    assert [s["name"] for s in pack["services"]] == ["Email"]


def test_it_builds_the_pack_in_three_queries_whatever_the_size(unit_a, django_assert_num_queries):
    for n in range(6):
        service = ServiceFactory.create(consumers=[unit_a])
        for month in range(1, 7 if n % 2 else 3):
            _month(service, month, "99.7")
    # services, aggregates per service, trend rows
    with django_assert_num_queries(3):
        pack = performance_pack(unit_a, date(2026, 1, 1), date(2026, 12, 31))
    assert len(pack["services"]) == 6


def test_it_sums_demand_value_in_one_query_without_multiplying_demands(
    unit_a, unit_b, leader, executive, django_assert_num_queries
):
    from portfolio.selectors.demand import demand_value
    from tests.factories import BenefitRecordFactory, DemandFactory

    flying = DemandFactory.create(unit=unit_a, status="approved", expected_benefit=500)
    DemandFactory.create(unit=unit_b, status="in_delivery", expected_benefit=300)
    DemandFactory.create(unit=unit_a, status="draft", expected_benefit=900)
    delivered = DemandFactory.create(unit=unit_a, status="delivered", expected_benefit=100)
    for demand in (flying, delivered, delivered):  # two records on one demand: no fan-out
        BenefitRecordFactory.create(demand=demand, realised_amount=800)
    BenefitRecordFactory.create(demand__unit=unit_b, realised_amount=50)

    demand_value(executive)  # reads the role once
    with django_assert_num_queries(1):
        figures = demand_value(executive)
    assert figures == {"in_flight": 2, "in_flight_value": 800, "realised_value": 2450}
    assert demand_value(leader) == {
        "in_flight": 1,
        "in_flight_value": 500,
        "realised_value": 2400,
    }
