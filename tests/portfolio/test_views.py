from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(unit_a):
    service = ServiceFactory.create(name="ERP", consumers=[unit_a], workload_limit=100)
    ServiceMetricFactory.create(
        service=service,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        availability=Decimal("98.5"),
        workload=140,
    )
    return service


def test_it_shows_a_service_with_its_metric_chart_and_workload_over_the_limit(client, brm, erp):
    client.force_login(brm)
    page = client.get(f"/services/{erp.pk}/").content.decode()
    assert 'data-chart="service-metrics"' in page
    assert "over the limit of 100" in page
    assert "Missed" in page


def test_it_hides_services_of_other_units_from_a_leader(client, leader_b, erp):
    client.force_login(leader_b)
    assert client.get(f"/services/{erp.pk}/").status_code == 404
    assert "ERP" not in client.get("/services/").content.decode()


def test_it_searches_the_catalogue_with_htmx(client, executive, erp, unit_a):
    ServiceFactory.create(name="Payroll", consumers=[unit_a])
    client.force_login(executive)
    response = client.get("/services/?search=erp", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert "ERP" in page
    assert "Payroll" not in page


def test_it_lists_services_in_a_fixed_number_of_queries(
    client, executive, unit_a, django_assert_num_queries
):
    client.force_login(executive)
    client.get("/services/")
    # session, user with their role, count, page of services with figures, units for the filter
    for n in range(5):
        ServiceFactory.create(consumers=[unit_a], name=f"A{n}")
    with django_assert_num_queries(5):
        client.get("/services/?page_size=100")
    for n in range(45):
        ServiceFactory.create(consumers=[unit_a], name=f"B{n}")
    with django_assert_num_queries(5):
        response = client.get("/services/?page_size=100")
    assert response.content.decode().count('class="badge tone-') == 50


def test_it_filters_the_catalogue_to_the_services_a_unit_consumes(client, brm, erp, unit_a, unit_b):
    ServiceFactory.create(name="Fleet", consumers=[unit_b])
    ServiceFactory.create(name="Email", consumers=[unit_a, unit_b])
    client.force_login(brm)
    rows = client.get(f"/services/?unit={unit_a.pk}").context["page"].object_list
    assert {(s.name, s.consumer_count) for s in rows} == {("Email", 2), ("ERP", 1)}


def test_it_does_not_let_a_leader_filter_by_another_units_id(client, leader, erp, unit_b):
    ServiceFactory.create(name="Fleet", consumers=[unit_b])
    client.force_login(leader)
    response = client.get(f"/services/?unit={unit_b.pk}")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert "Fleet" not in response.content.decode()
