"""API: objectives, demands (with transitions and overrides), benefit records; by role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from brm.core.ordering import stable_order
from portfolio.models import BenefitRecord, Demand, DemandStatus, StrategicObjective
from portfolio.selectors import demand as selectors
from tests.factories import BenefitRecordFactory, DemandFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a
demand_b = demand_fixtures.demand_b
objectives = demand_fixtures.objectives
pytestmark = pytest.mark.django_db
DEMANDS = "/api/v1/demands/"


def test_it_needs_credentials(api):
    assert api.get(DEMANDS).status_code == 401


def test_it_lists_only_the_leaders_unit(as_user, leader, demand_a, demand_b):
    body = as_user(leader).get(DEMANDS).json()
    assert [d["id"] for d in body["results"]] == [demand_a.pk]


def test_it_answers_404_for_another_units_demand(as_user, leader, demand_b):
    assert as_user(leader).get(f"{DEMANDS}{demand_b.pk}/").status_code == 404


def test_it_lets_a_leader_submit_for_their_unit(as_user, leader, unit_a):
    response = as_user(leader).post(
        DEMANDS, {"title": "Mobile timesheets", "problem": "Paper.", "outcome": "App."}
    )
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == unit_a.pk and response.json()["status"] == "idea"


def test_it_forbids_integration_to_submit(as_user, integration, unit_a):
    response = as_user(integration).post(
        DEMANDS, {"unit": unit_a.pk, "title": "x", "problem": "y", "outcome": "z"}
    )
    assert response.status_code == 403


def test_it_patches_the_business_case_and_scores_it(as_user, brm, demand_a, objectives):
    response = as_user(brm).patch(
        f"{DEMANDS}{demand_a.pk}/",
        {
            "benefit_kind": "revenue",
            "expected_benefit": "200000",
            "estimated_cost": "100000",
            "alignment": 5,
            "risk": 1,
            "effort": 1,
            "objectives": [objectives[1].pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["priority_score"] == "4.00"
    assert response.json()["objectives"] == [objectives[1].pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"estimated_cost": "-1"}, "estimated_cost"),
        ({"objectives": [999999]}, "objectives"),
        ({"risk": 0}, "risk"),
    ],
)
def test_it_rejects_bad_business_case_input_per_field(as_user, brm, demand_a, body, field):
    response = as_user(brm).patch(f"{DEMANDS}{demand_a.pk}/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_it_forbids_the_executive_to_edit_the_case(as_user, executive, demand_a):
    response = as_user(executive).patch(f"{DEMANDS}{demand_a.pk}/", {"risk": 2}, format="json")
    assert response.status_code == 403


def test_it_transitions_through_the_api(as_user, brm, demand_a):
    response = as_user(brm).post(f"{DEMANDS}{demand_a.pk}/transition/", {"to": "assessing"})
    assert response.status_code == 200 and response.json()["status"] == "assessing"


def test_it_answers_409_for_a_transition_out_of_order(as_user, brm, demand_a):
    response = as_user(brm).post(f"{DEMANDS}{demand_a.pk}/transition/", {"to": "delivered"})
    assert response.status_code == 409


def test_it_answers_403_when_the_role_may_not_move_it(as_user, leader, demand_a):
    response = as_user(leader).post(f"{DEMANDS}{demand_a.pk}/transition/", {"to": "assessing"})
    assert response.status_code == 403


def test_it_answers_400_for_a_rejection_without_reason(as_user, executive, demand_a):
    response = as_user(executive).post(f"{DEMANDS}{demand_a.pk}/transition/", {"to": "rejected"})
    assert response.status_code == 400 and "reason" in response.json()


def test_it_records_an_override_with_its_reason(as_user, executive, demand_a):
    response = as_user(executive).post(
        f"{DEMANDS}{demand_a.pk}/override/", {"rank": 2, "reason": "Board decision"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["rank_override"] == 2
    assert response.json()["override_by"] == executive.pk


def test_it_refuses_an_override_without_reason(as_user, executive, demand_a):
    response = as_user(executive).post(
        f"{DEMANDS}{demand_a.pk}/override/", {"rank": 2}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_it_lets_only_admins_write_objectives(as_user, admin_user, brm):
    assert as_user(brm).post("/api/v1/objectives/", {"name": "Grow"}).status_code == 403
    assert as_user(admin_user).post("/api/v1/objectives/", {"name": "Grow"}).status_code == 201
    assert StrategicObjective.objects.filter(name="Grow").exists()


def test_it_records_and_confirms_benefits(as_user, brm, leader, demand_a):
    with_case(demand_a, DemandStatus.DELIVERED)
    response = as_user(brm).post(
        "/api/v1/benefit-records/",
        {
            "demand": demand_a.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "planned_amount": "1000",
            "realised_amount": "600",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_confirmed"] is False
    pk = response.json()["id"]
    confirmed = as_user(leader).post(f"/api/v1/benefit-records/{pk}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == leader.pk
    assert as_user(brm).get(f"{DEMANDS}{demand_a.pk}/").json()["leakage"] == "400.00"


def test_it_rejects_negative_and_inverted_benefit_periods(as_user, brm, demand_a):
    with_case(demand_a, DemandStatus.DELIVERED)
    base = {
        "demand": demand_a.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "planned_amount": "1000",
        "realised_amount": "-1",
    }
    assert as_user(brm).post("/api/v1/benefit-records/", base).status_code == 400
    base.update(realised_amount="1", period_end="2025-12-01")
    response = as_user(brm).post("/api/v1/benefit-records/", base)
    assert response.status_code == 400 and "period_end" in response.json()


def test_it_hides_benefit_records_of_other_units(as_user, leader, demand_b):
    BenefitRecordFactory.create(demand=demand_b)
    assert as_user(leader).get("/api/v1/benefit-records/").json()["count"] == 0


@pytest.mark.parametrize("rows", [5, 50])
def test_the_ranked_list_runs_a_fixed_number_of_queries(
    as_user, executive, unit_a, objectives, rows, django_assert_num_queries
):
    for i in range(rows):
        DemandFactory.create(unit=unit_a, priority_score=Decimal(i)).objectives.set(objectives)
    client = as_user(executive)
    # 1 token (with user and role, issue 14), 2 COUNT, 3 the ranked page with sums, 4 objectives
    # prefetched; the token's last-use update is skipped within a minute of the first call.
    client.get(DEMANDS)
    with django_assert_num_queries(4):
        response = client.get(DEMANDS)
    assert response.json()["results"][0]["priority_score"] == f"{rows - 1}.00"
    assert Demand.objects.count() == rows


def test_the_api_rows_rank_and_sum_as_the_board(executive, leader, unit_a, demand_b):
    """`demand_rows` (the API list's fixed SQL) gives `ranked(demand_list())`'s order and sums:
    overrides before the score at one place, unscored last, ties by age; per reader's scope."""
    scores = [Decimal(3), None, Decimal(3), Decimal(7), None, Decimal(1)]
    made = [DemandFactory.create(unit=unit_a, priority_score=s) for s in scores]
    Demand.objects.filter(pk=made[5].pk).update(rank_override=1, override_reason="Board")
    Demand.objects.filter(pk=made[1].pk).update(rank_override=3, override_reason="Board")
    BenefitRecordFactory.create(demand=made[0], planned_amount=500, realised_amount=120)
    confirmed = BenefitRecordFactory.create(demand=made[0], realised_amount=30)
    BenefitRecord.objects.filter(pk=confirmed.pk).update(confirmed_at=timezone.now())
    sums = ("board_rank", "planned_total", "realised_total", "confirmed_total", "leakage")
    for user in (executive, leader):
        board = list(stable_order(selectors.ranked(selectors.demand_list(user))))
        rows = list(stable_order(selectors.demand_rows(user, ranked=True)))
        assert [d.pk for d in rows] == [d.pk for d in board]
        for row, expected in zip(rows, board, strict=True):
            assert [getattr(row, s) for s in sums] == [getattr(expected, s) for s in sums]
    leaders = {d.pk for d in selectors.demand_rows(leader, ranked=False)}
    assert demand_b.pk not in leaders and made[0].pk in leaders
