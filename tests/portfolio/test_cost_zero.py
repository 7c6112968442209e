"""A business case with an estimated cost of 0 is refused; a stored 0 is not scored.

Before: a cost of 0 counted as 1, so a small idea (benefit 1,000, nothing else going for it)
scored about 1,476 and ranked first above every real business case.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from brm.core.errors import InputError
from portfolio.models import Demand
from portfolio.services import demand as demand_services
from portfolio.services.scoring import COST_ABOVE_ZERO, check_cost, explain, priority_score
from tests.portfolio import demand_fixtures

pytestmark = pytest.mark.django_db

demand_a = demand_fixtures.demand_a
objectives = demand_fixtures.objectives

DEMANDS = "/api/v1/demands/"
CASE = {
    "benefit_kind": "revenue",
    "expected_benefit": "1000",
    "alignment": 5,
    "risk": 1,
    "effort": 1,
}


@pytest.mark.parametrize("cost", ["0", "0.00", 0])
def test_the_api_refuses_a_cost_of_zero_with_a_field_message(as_user, brm, demand_a, cost):
    response = as_user(brm).patch(
        f"{DEMANDS}{demand_a.pk}/", CASE | {"estimated_cost": cost}, format="json"
    )
    assert response.status_code == 400
    assert "more than 0" in str(response.json()["estimated_cost"])
    demand_a.refresh_from_db()
    assert demand_a.estimated_cost != 0


def test_the_form_refuses_a_cost_of_zero_next_to_the_field(client, brm, demand_a):
    client.force_login(brm)
    response = client.post(
        reverse("demands:demand_case", args=[demand_a.pk]), CASE | {"estimated_cost": "0"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["estimated_cost"]


def test_the_service_refuses_it_and_writes_nothing(brm, demand_a):
    before = Demand.objects.get(pk=demand_a.pk).priority_score
    case = demand_services.BusinessCase(
        benefit_kind="revenue",
        expected_benefit="1000",
        estimated_cost="0",
        alignment=5,
        risk=1,
        effort=1,
    )
    with pytest.raises(InputError) as exc:
        demand_services.update_business_case(demand_a, case, actor=brm)
    assert exc.value.field == "estimated_cost"
    assert Demand.objects.get(pk=demand_a.pk).priority_score == before


def test_a_small_positive_cost_is_accepted(as_user, brm, demand_a):
    response = as_user(brm).patch(
        f"{DEMANDS}{demand_a.pk}/", CASE | {"estimated_cost": "0.01"}, format="json"
    )
    assert response.status_code == 200, response.content


def test_a_stored_zero_cost_has_no_score_and_says_why():
    assert priority_score(Decimal("1000"), Decimal("0"), 5, 1, 1) is None
    shown = explain(Decimal("1000"), Decimal("0"), 5, 1, 1)
    assert shown.score is None and "estimated cost above 0" in shown.missing
    with pytest.raises(ValueError, match="more than 0"):
        check_cost(Decimal("0"))
    assert "more than 0" in COST_ABOVE_ZERO
