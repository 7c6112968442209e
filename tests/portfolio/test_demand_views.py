"""Pages of the demand portfolio: scope, the board, the ranked table, CSV, forms, confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import Demand, DemandStatus
from tests.factories import BenefitRecordFactory, DemandFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a
demand_b = demand_fixtures.demand_b
objectives = demand_fixtures.objectives
pytestmark = pytest.mark.django_db
LIST = reverse("demands:demand_list")
BOARD = reverse("demands:demand_board")


def test_it_shows_a_leader_only_their_units_demands(client, leader, demand_a, demand_b):
    client.force_login(leader)
    page = client.get(LIST).content.decode()
    assert demand_a.title in page and demand_b.title not in page


def test_it_hides_another_units_demand_from_a_leader(client, leader, demand_b):
    client.force_login(leader)
    assert client.get(reverse("demands:demand_detail", args=[demand_b.pk])).status_code == 404
    url = reverse("demands:demand_transition", args=[demand_b.pk])
    assert client.post(url, {"to": "withdrawn", "reason": "x"}).status_code == 404


def test_it_lets_a_leader_submit_an_idea(client, leader, unit_a):
    client.force_login(leader)
    response = client.post(
        reverse("demands:demand_create"),
        {
            "title": "Online leave requests",
            "problem": "Paper forms.",
            "outcome": "One click.",
            "urgency": "high",
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302 and response.url == demand.get_absolute_url()
    assert demand.unit == unit_a and demand.urgency == "high"


def test_it_keeps_the_input_and_saves_nothing_on_errors(client, leader):
    client.force_login(leader)
    response = client.post(reverse("demands:demand_create"), {"title": "Half an idea"})
    assert response.status_code == 200 and "nothing was saved" in response.content.decode()
    assert 'value="Half an idea"' in response.content.decode()
    assert not Demand.objects.exists()


def test_it_forbids_the_executive_to_submit(client, executive):
    client.force_login(executive)
    assert client.get(reverse("demands:demand_create")).status_code == 403


def test_it_shows_the_score_explained_on_the_demand_page(client, brm, demand_a):
    with_case(demand_a)
    client.force_login(brm)
    page = client.get(demand_a.get_absolute_url()).content.decode()
    assert "(benefit ÷ cost) × alignment factor × risk factor × effort factor" in page
    assert "120,000.00 ÷ 80,000.00" in page and ">1.69<" in page


def test_it_saves_the_business_case_from_the_form(client, brm, demand_a, objectives):
    client.force_login(brm)
    url = reverse("demands:demand_case", args=[demand_a.pk])
    response = client.post(
        url,
        {
            "benefit_kind": "revenue",
            "expected_benefit": "200000",
            "estimated_cost": "100000",
            "alignment": "5",
            "risk": "1",
            "effort": "1",
            "objectives": [objectives[0].pk],
        },
    )
    assert response.status_code == 302
    demand_a.refresh_from_db()
    assert demand_a.priority_score == Decimal("4.00")


def test_it_shows_a_negative_cost_next_to_the_field(client, brm, demand_a):
    client.force_login(brm)
    url = reverse("demands:demand_case", args=[demand_a.pk])
    response = client.post(url, {"estimated_cost": "-10"})
    assert response.status_code == 200
    assert response.context["form"].errors["estimated_cost"]


def test_it_forbids_the_executive_the_case_form(client, executive, demand_a):
    client.force_login(executive)
    assert client.get(reverse("demands:demand_case", args=[demand_a.pk])).status_code == 403


def test_it_moves_a_card_from_the_board_with_htmx(client, brm, demand_a):
    client.force_login(brm)
    response = client.post(
        reverse("demands:demand_transition", args=[demand_a.pk]),
        {"to": "assessing", "board": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="demand-board"' in body
    demand_a.refresh_from_db()
    assert demand_a.status == DemandStatus.ASSESSING


def test_it_answers_409_for_a_move_out_of_order(client, brm, demand_a):
    client.force_login(brm)
    response = client.post(
        reverse("demands:demand_transition", args=[demand_a.pk]),
        {"to": "delivered"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409 and "cannot become delivered" in response.content.decode()


def test_it_refuses_an_override_without_a_reason(client, executive, demand_a):
    client.force_login(executive)
    response = client.post(
        reverse("demands:demand_override", args=[demand_a.pk]), {"rank": 1}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    demand_a.refresh_from_db()
    assert demand_a.rank_override is None


def test_it_lets_the_sponsor_confirm_realised_benefits(client, leader, demand_a):
    with_case(demand_a, DemandStatus.DELIVERED)
    record = BenefitRecordFactory.create(demand=demand_a)
    client.force_login(leader)
    url = reverse("demands:demand_confirm", args=[demand_a.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"records": [record.pk]}).status_code == 302
    record.refresh_from_db()
    assert record.confirmed_by == leader


def test_it_forbids_the_brm_the_confirmation_page(client, brm, demand_a):
    with_case(demand_a, DemandStatus.DELIVERED)
    client.force_login(brm)
    assert client.get(reverse("demands:demand_confirm", args=[demand_a.pk])).status_code == 403


def test_it_shows_the_executive_the_share_per_objective(client, executive, unit_a, objectives):
    DemandFactory.create(unit=unit_a, estimated_cost=100).objectives.set([objectives[0]])
    client.force_login(executive)
    page = client.get(reverse("demands:demand_value")).content.decode()
    assert 'data-chart="objective-share"' in page and "Grow revenue" in page and "100.0 %" in page


def test_it_keeps_the_value_page_from_leaders(client, leader):
    client.force_login(leader)
    assert client.get(reverse("demands:demand_value")).status_code == 403


def test_the_csv_export_lists_the_ranked_table(client, brm, unit_a):
    DemandFactory.create(unit=unit_a, title="=cmd()", priority_score=Decimal("2"))
    DemandFactory.create(unit=unit_a, title="Top", priority_score=Decimal("9"))
    client.force_login(brm)
    response = client.get(reverse("demands:demand_export"))
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Rank,Reference,Title")
    assert lines[1].startswith("1,") and "Top" in lines[1]
    assert lines[2].startswith("2,") and "'=cmd()" in lines[2]


@pytest.mark.parametrize("rows", [5, 50])
def test_the_ranked_table_runs_a_fixed_number_of_queries(
    client, executive, unit_a, rows, django_assert_num_queries
):
    for i in range(rows):
        DemandFactory.create(unit=unit_a, priority_score=Decimal(i))
    client.force_login(executive)
    client.get(LIST)
    # 1 session, 2 user with their role, 3 units and 4 objectives for the filter choices,
    # 5 COUNT of the filtered ids for the paginator, 6 the ranked page (unit and override_by
    # joined, the ranking and benefit sums as fixed SQL); the currency is a setting, not a query.
    with django_assert_num_queries(6) as ctx:
        response = client.get(LIST + "?page_size=50")
    assert len(response.context["page"].object_list) == rows
    sqls = [q["sql"] for q in ctx.captured_queries]
    (count,) = [sql for sql in sqls if sql.startswith("SELECT COUNT(*)")]
    assert "OVER" not in count and "benefitrecord" not in count
    (page,) = [sql for sql in sqls if "ROW_NUMBER() OVER" in sql]
    assert "stakeholders_stakeholder" not in page  # the sponsor: the rows never show it


@pytest.mark.parametrize("rows", [5, 50])
def test_the_board_runs_a_fixed_number_of_queries(
    client, brm, unit_a, rows, django_assert_num_queries
):
    for i in range(rows):
        DemandFactory.create(
            unit=unit_a, priority_score=Decimal(i), status=["idea", "assessing"][i % 2]
        )
    client.force_login(brm)
    client.get(BOARD)
    # 1 session, 2 user with their role, 3 every open demand with its unit, sponsor, BRM
    # and benefit sums (the buttons on the cards need no further query).
    with django_assert_num_queries(3):
        response = client.get(BOARD)
    cards = sum(len(cards) for _, _, cards in response.context["columns"])
    assert cards == rows
    assert response.content.decode().count('value="assessing"') == rows // 2 + rows % 2
