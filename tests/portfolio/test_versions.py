"""Lost updates in the portfolio (#12): the business case page refuses a form opened before
someone else's save; demands, benefit records, services, their metrics and the strategic
objectives carry ETag / If-Match."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    BenefitRecordFactory,
    ServiceFactory,
    ServiceMetricFactory,
    StrategicObjectiveFactory,
)
from tests.portfolio import demand_fixtures
from tests.versions import assert_etag_and_if_match, assert_stale_edit_refused_then_reapplied

demand_a = demand_fixtures.demand_a
pytestmark = pytest.mark.django_db


def test_the_business_case_page_refuses_a_stale_form(client, brm, demand_a):
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        reverse("demands:demand_case", args=[demand_a.pk]),
        demand_a,
        field="risk",
        yours="4",
        theirs=2,
    )


def test_a_demand_has_etag_and_if_match(as_user, brm, demand_a):
    assert_etag_and_if_match(as_user(brm), f"/api/v1/demands/{demand_a.pk}/", demand_a)


@pytest.mark.parametrize(
    "endpoint", ["benefit-records", "services", "service-metrics", "objectives"]
)
def test_every_portfolio_endpoint_has_etag_and_if_match(as_user, admin_user, unit_a, endpoint):
    record = {
        "benefit-records": lambda: BenefitRecordFactory.create(demand__unit=unit_a),
        "services": lambda: ServiceFactory.create(consumers=[unit_a]),
        "service-metrics": lambda: ServiceMetricFactory.create(),
        "objectives": lambda: StrategicObjectiveFactory.create(),
    }[endpoint]()
    assert_etag_and_if_match(as_user(admin_user), f"/api/v1/{endpoint}/{record.pk}/", record)
