"""The demand state machine: allowed and forbidden transitions by role, reasons, order."""

from __future__ import annotations

import pytest

from portfolio.models import DemandStatus, DemandStatusChange
from portfolio.services.workflow import (
    ForbiddenTransition,
    InputError,
    TransitionError,
    allowed_transitions,
    transition_demand,
)
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a
demand_b = demand_fixtures.demand_b
pytestmark = pytest.mark.django_db
S = DemandStatus


def test_it_lets_the_units_brm_start_assessing(demand_a, brm):
    transition_demand(demand_a, S.ASSESSING, actor=brm)
    demand_a.refresh_from_db()
    assert demand_a.status == S.ASSESSING
    change = DemandStatusChange.objects.get(demand=demand_a)
    assert (change.from_status, change.to_status, change.actor) == (S.IDEA, S.ASSESSING, brm)


def test_it_walks_the_whole_happy_path(demand_a, brm, executive):
    transition_demand(demand_a, S.ASSESSING, actor=brm)
    with_case(demand_a)
    transition_demand(demand_a, S.APPROVED, actor=executive)  # the portfolio board decides
    for to in (S.IN_DELIVERY, S.DELIVERED, S.BENEFITS_REALISED):
        transition_demand(demand_a, to, actor=brm)
    demand_a.refresh_from_db()
    assert demand_a.status == S.BENEFITS_REALISED and demand_a.delivered_at is not None
    assert demand_a.status_changes.count() == 5


def test_it_refuses_transitions_out_of_order(demand_a, brm):
    with pytest.raises(TransitionError, match="idea cannot become delivered"):
        transition_demand(demand_a, S.DELIVERED, actor=brm)
    demand_a.refresh_from_db()
    assert demand_a.status == S.IDEA and not demand_a.status_changes.exists()


def test_it_refuses_approval_without_a_complete_business_case(demand_a, brm, executive):
    transition_demand(demand_a, S.ASSESSING, actor=brm)
    with pytest.raises(TransitionError, match="business case"):
        transition_demand(demand_a, S.APPROVED, actor=executive)


def test_it_lets_the_executive_approve(demand_a, executive):
    with_case(demand_a)
    transition_demand(demand_a, S.APPROVED, actor=executive)
    assert demand_a.status == S.APPROVED


def test_it_forbids_the_executive_to_start_assessing(demand_a, executive):
    with pytest.raises(ForbiddenTransition):
        transition_demand(demand_a, S.ASSESSING, actor=executive)


def test_it_forbids_another_units_brm(demand_a, other_brm):
    with pytest.raises(ForbiddenTransition):
        transition_demand(demand_a, S.ASSESSING, actor=other_brm)


def test_it_forbids_the_leader_to_approve(demand_a, leader):
    with_case(demand_a)
    with pytest.raises(ForbiddenTransition):
        transition_demand(demand_a, S.APPROVED, actor=leader)


def test_it_forbids_integration_any_move(demand_a, integration):
    assert allowed_transitions(demand_a, integration) == []
    with pytest.raises(ForbiddenTransition):
        transition_demand(demand_a, S.ASSESSING, actor=integration)


def test_it_lets_the_sponsor_withdraw_with_a_reason(demand_a, leader):
    transition_demand(demand_a, S.WITHDRAWN, actor=leader, reason="Solved by a vendor update.")
    assert demand_a.status == S.WITHDRAWN
    assert demand_a.status_reason == "Solved by a vendor update."


def test_it_requires_a_reason_to_reject(demand_a, executive):
    with pytest.raises(InputError) as err:
        transition_demand(demand_a, S.REJECTED, actor=executive, reason="  ")
    assert err.value.field == "reason"
    demand_a.refresh_from_db()
    assert demand_a.status == S.IDEA


def test_it_refuses_an_unknown_status(demand_a, brm):
    with pytest.raises(InputError):
        transition_demand(demand_a, "launched", actor=brm)


def test_it_offers_each_role_only_what_it_may_do(demand_a, brm, executive, leader):
    assert {t.target for t in allowed_transitions(demand_a, brm)} == {
        S.ASSESSING,
        S.REJECTED,
        S.WITHDRAWN,
    }
    assert {t.target for t in allowed_transitions(demand_a, executive)} == {S.REJECTED}
    assert {t.target for t in allowed_transitions(demand_a, leader)} == {S.WITHDRAWN}


def test_it_gives_another_units_leader_no_standing(demand_a, leader_b):
    assert allowed_transitions(demand_a, leader_b) == []


def test_it_lets_the_admin_move_any_demand(demand_b, admin_user):
    transition_demand(demand_b, S.ASSESSING, actor=admin_user)
    assert demand_b.status == S.ASSESSING
