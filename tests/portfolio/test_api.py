from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portfolio.models import ServiceMetric
from tests.factories import ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/service-metrics/"
BULK = "/api/v1/service-metrics/bulk/"


def _row(service, start="2026-01-01", end="2026-01-31", **figures):
    return {
        "service": service.pk,
        "period_start": start,
        "period_end": end,
        "availability": "99.950",
        "incidents": 3,
        "major_incidents": 1,
        "workload": 1200,
        **figures,
    }


@pytest.fixture
def service(unit_a):
    return ServiceFactory.create(
        name="Payroll", consumers=[unit_a], availability_target=Decimal("99.9")
    )


def test_it_creates_a_metric_and_updates_it_when_the_same_period_is_pushed_again(
    as_user, integration, service
):
    client = as_user(integration)
    first = client.post(URL, _row(service), format="json")
    assert first.status_code == 201, first.json()
    again = client.post(URL, _row(service, availability="98.000", incidents=5), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    metric = ServiceMetric.objects.get()
    assert metric.availability == Decimal("98.000")
    assert metric.incidents == 5
    assert metric.sla_met is False  # below the 99.9 target


def test_it_bulk_upserts_idempotently(as_user, integration, service):
    client = as_user(integration)
    rows = [
        _row(service, "2026-01-01", "2026-01-31"),
        _row(service, "2026-02-01", "2026-02-28"),
        _row(service, "2026-03-01", "2026-03-31"),
    ]
    first = client.post(BULK, {"metrics": rows}, format="json")
    assert first.status_code == 200, first.json()
    assert (first.json()["created"], first.json()["updated"]) == (3, 0)
    second = client.post(BULK, {"metrics": rows}, format="json")
    assert (second.json()["created"], second.json()["updated"]) == (0, 3)
    assert ServiceMetric.objects.count() == 3


@pytest.mark.parametrize("value", ["100.001", "-0.5", "abc"])
def test_it_rejects_availability_out_of_range(as_user, integration, service, value):
    response = as_user(integration).post(URL, _row(service, availability=value), format="json")
    assert response.status_code == 400
    assert "availability" in response.json()
    assert not ServiceMetric.objects.exists()


@pytest.mark.parametrize("end", ["2026-01-01", "2025-12-31"])
def test_it_rejects_a_period_that_does_not_end_after_it_starts(as_user, integration, service, end):
    response = as_user(integration).post(URL, _row(service, end=end), format="json")
    assert response.status_code == 400
    assert "period_end" in response.json()


def test_it_rejects_a_period_overlapping_a_stored_one(as_user, integration, service):
    ServiceMetricFactory.create(
        service=service, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)
    )
    response = as_user(integration).post(
        URL, _row(service, "2026-01-15", "2026-02-14"), format="json"
    )
    assert response.status_code == 400
    assert "period_start" in response.json()
    assert ServiceMetric.objects.count() == 1


def test_it_rejects_an_unknown_service(as_user, integration):
    response = as_user(integration).post(
        URL, {**_row(ServiceFactory.build(pk=999999))}, format="json"
    )
    assert response.status_code == 400
    assert "service" in response.json()


def test_it_saves_nothing_when_one_bulk_row_is_bad(as_user, integration, service):
    rows = [
        _row(service, "2026-01-01", "2026-01-31"),
        _row(service, "2026-02-01", "2026-02-28", availability="140"),
    ]
    response = as_user(integration).post(BULK, {"metrics": rows}, format="json")
    assert response.status_code == 400
    assert "metrics" in response.json()
    assert not ServiceMetric.objects.exists()


def test_it_saves_nothing_when_bulk_rows_overlap_each_other(as_user, integration, service):
    rows = [
        _row(service, "2026-01-01", "2026-01-31"),
        _row(service, "2026-01-20", "2026-02-19"),
    ]
    response = as_user(integration).post(BULK, {"metrics": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["metrics"]["1"] == ["Overlaps row 0 for the same service."]
    assert not ServiceMetric.objects.exists()


def test_it_shows_workload_over_the_agreed_limit(as_user, integration, unit_a):
    service = ServiceFactory.create(consumers=[unit_a], workload_limit=1000)
    response = as_user(integration).post(URL, _row(service, workload=1500), format="json")
    assert response.json()["over_workload_limit"] is True


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_user", 201),
        ("integration", 201),
        ("brm", 403),
        ("executive", 403),
        ("leader", 403),
        ("no_role_user", 403),
    ],
)
def test_it_lets_only_admins_and_integrations_push_metrics(
    request, as_user, service, persona, expected
):
    user = request.getfixturevalue(persona)
    response = as_user(user).post(URL, _row(service), format="json")
    assert response.status_code == expected


def test_it_requires_credentials(api, service):
    assert api.get("/api/v1/services/").status_code == 401


def test_it_shows_a_leader_only_the_services_their_unit_uses(as_user, leader, unit_a, unit_b):
    mine = ServiceFactory.create(name="Mine", consumers=[unit_a])
    theirs = ServiceFactory.create(name="Theirs", consumers=[unit_b])
    client = as_user(leader)
    names = [s["name"] for s in client.get("/api/v1/services/").json()["results"]]
    assert names == ["Mine"]
    assert "consumers" not in client.get(f"/api/v1/services/{mine.pk}/").json()
    assert client.get(f"/api/v1/services/{theirs.pk}/").status_code == 404


def test_it_lets_a_brm_read_but_not_change_the_catalogue(as_user, brm, service):
    client = as_user(brm)
    assert client.get(f"/api/v1/services/{service.pk}/").status_code == 200
    assert client.patch(f"/api/v1/services/{service.pk}/", {"name": "X"}).status_code == 403
    assert client.post("/api/v1/services/", {"name": "New"}).status_code == 403


def test_it_lets_an_integration_create_a_service(as_user, integration, unit_a):
    response = as_user(integration).post(
        "/api/v1/services/",
        {"name": "CRM", "consumers": [unit_a.pk], "availability_target": "99.0"},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_it_lists_services_in_a_fixed_number_of_queries(
    as_user, integration, unit_a, django_assert_num_queries
):
    for n in range(5):
        ServiceFactory.create(consumers=[unit_a], name=f"S{n}")
    client = as_user(integration)
    client.get("/api/v1/services/")  # warm the token's last-used stamp
    # token lookup (with the role), count, page of services with annotations, consumers prefetch
    with django_assert_num_queries(4):
        assert client.get("/api/v1/services/").status_code == 200


def test_it_filters_services_by_the_unit_that_consumes_them(as_user, brm, unit_a, unit_b):
    ServiceFactory.create(name="Mine", consumers=[unit_a])
    ServiceFactory.create(name="Theirs", consumers=[unit_b])
    response = as_user(brm).get("/api/v1/services/", {"unit": unit_a.pk})
    assert [s["name"] for s in response.json()["results"]] == ["Mine"]


def test_it_refuses_a_leader_filtering_services_by_another_unit(as_user, leader, unit_a, unit_b):
    ServiceFactory.create(name="Theirs", consumers=[unit_b])
    response = as_user(leader).get("/api/v1/services/", {"unit": unit_b.pk})
    assert response.status_code == 400
    assert "unit" in response.json()
