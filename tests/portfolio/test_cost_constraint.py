"""A business case's estimated cost of 0 is refused on every path, not only by the service:
the model field's validator (portfolio.models.demand.validate_estimated_cost, the one rule
check_cost also asks) refuses it in the Django admin's form and in full_clean, and the
CheckConstraint demand_cost_above_zero refuses it in the database (a raw update)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory

from portfolio.models import Demand
from portfolio.models.demand import COST_ABOVE_ZERO
from tests.portfolio import demand_fixtures

pytestmark = pytest.mark.django_db

demand_a = demand_fixtures.demand_a


def _admin_form(admin_user: Any, demand: Demand, **changes: Any) -> Any:
    model_admin = admin.site._registry[Demand]
    request = RequestFactory().post(f"/admin/portfolio/demand/{demand.pk}/change/")
    request.user = admin_user
    form_class = model_admin.get_form(request, demand, change=True)
    data = {
        k: ("" if v is None else v)
        for k, v in model_to_dict(demand, fields=form_class.base_fields).items()
    }
    data["objectives"] = [o.pk for o in demand.objectives.all()]
    return form_class(data={**data, **changes}, instance=demand)


@pytest.mark.parametrize("cost", ["0", "0.00", "-5"])
def test_the_admin_form_refuses_a_cost_of_zero_or_less(admin_user, demand_a, cost):
    form = _admin_form(admin_user, demand_a, estimated_cost=cost)
    assert not form.is_valid()
    assert form.errors["estimated_cost"]
    if Decimal(cost) == 0:
        assert COST_ABOVE_ZERO in form.errors["estimated_cost"]
    assert Demand.objects.get(pk=demand_a.pk).estimated_cost != Decimal(cost)


def test_the_admin_form_accepts_a_positive_cost_and_an_absent_one(admin_user, demand_a):
    assert _admin_form(admin_user, demand_a, estimated_cost="0.01").is_valid()
    assert _admin_form(admin_user, demand_a, estimated_cost="").is_valid()


def test_full_clean_refuses_it(demand_a):
    demand_a.estimated_cost = Decimal("0")
    with pytest.raises(ValidationError) as caught:
        demand_a.full_clean()
    assert caught.value.message_dict["estimated_cost"] == [str(COST_ABOVE_ZERO)]


def test_the_database_refuses_a_zero_cost_written_around_the_model(demand_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Demand.objects.filter(pk=demand_a.pk).update(estimated_cost=Decimal("0"))
    Demand.objects.filter(pk=demand_a.pk).update(estimated_cost=None)  # not assessed: allowed
    Demand.objects.filter(pk=demand_a.pk).update(estimated_cost=Decimal("0.01"))
