"""Submitting, the business case, overrides, benefits, leakage and the portfolio share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portfolio.models import Demand, DemandSettings, DemandStatus
from portfolio.selectors import demand as selectors
from portfolio.services import demand as services
from tests.factories import BenefitRecordFactory, DemandFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a
demand_b = demand_fixtures.demand_b
objectives = demand_fixtures.objectives
pytestmark = pytest.mark.django_db
D = Decimal


def _idea(**kw):
    return services.DemandInput(
        title=kw.get("title", "Self-service expense claims"),
        problem="Paper claims take three weeks.",
        outcome="Claims paid within a week.",
        unit=kw.get("unit"),
    )


def test_it_files_a_leaders_idea_for_their_own_unit(leader, unit_a):
    demand = services.submit_demand(_idea(), actor=leader)
    assert demand.unit == unit_a and demand.status == DemandStatus.IDEA
    assert demand.sponsor.user == leader and demand.brm == unit_a.brm
    assert demand.status_changes.get().to_status == DemandStatus.IDEA


def test_it_refuses_a_leaders_idea_for_another_unit(leader, unit_b):
    with pytest.raises(services.InputError):
        services.submit_demand(_idea(unit=unit_b), actor=leader)
    assert not Demand.objects.exists()


def test_it_refuses_an_executive_submission(executive, unit_a):
    with pytest.raises(services.ForbiddenTransition):
        services.submit_demand(_idea(unit=unit_a), actor=executive)


def test_it_scores_the_business_case(demand_a, brm, objectives):
    services.update_business_case(
        demand_a,
        services.BusinessCase(
            benefit_kind="cost_saving",
            expected_benefit="120000",
            estimated_cost="80000",
            alignment=3,
            risk=3,
            effort=2,
            objective_ids=[objectives[0].pk],
        ),
        actor=brm,
    )
    demand_a.refresh_from_db()
    assert demand_a.priority_score == D("1.69")
    assert list(demand_a.objectives.all()) == [objectives[0]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"estimated_cost": "-5"}, "estimated_cost"),
        ({"expected_benefit": "-1"}, "expected_benefit"),
        ({"objective_ids": [999999]}, "objectives"),
        ({"risk": 9}, "risk"),
    ],
)
def test_it_saves_nothing_of_a_bad_business_case(demand_a, brm, objectives, change, field):
    case: dict[str, Any] = {
        "expected_benefit": "100",
        "estimated_cost": "100",
        "alignment": 1,
        "risk": 1,
    }
    case.update(change)
    with pytest.raises(services.InputError) as err:
        services.update_business_case(demand_a, services.BusinessCase(**case), actor=brm)
    assert err.value.field == field
    demand_a.refresh_from_db()
    assert demand_a.expected_benefit is None and demand_a.priority_score is None


def test_it_forbids_the_executive_to_edit_the_case(demand_a, executive):
    with pytest.raises(services.ForbiddenTransition):
        services.update_business_case(demand_a, services.BusinessCase(risk=1), actor=executive)


def test_it_rescores_every_demand_when_the_weights_change(demand_a):
    with_case(demand_a)
    settings = DemandSettings.get()
    settings.alignment_weight, settings.risk_weight, settings.effort_weight = D(0), D(0), D(0)
    settings.save()
    assert services.rescore_all() == 1
    demand_a.refresh_from_db()
    assert demand_a.priority_score == D("1.50")


def test_it_records_who_why_and_when_of_an_override(demand_a, executive):
    services.override_rank(demand_a, 1, actor=executive, reason="Regulator deadline in March.")
    demand_a.refresh_from_db()
    assert demand_a.rank_override == 1 and demand_a.override_by == executive
    assert demand_a.override_at is not None
    assert demand_a.history.first().history_change_reason.startswith("Rank set to 1")


def test_it_refuses_an_override_without_a_reason(demand_a, executive):
    with pytest.raises(services.InputError):
        services.override_rank(demand_a, 1, actor=executive, reason="")
    demand_a.refresh_from_db()
    assert demand_a.rank_override is None


def test_it_forbids_another_units_brm_to_override(demand_a, other_brm):
    with pytest.raises(services.ForbiddenTransition):
        services.override_rank(demand_a, 1, actor=other_brm, reason="Mine first")


def test_it_ranks_by_score_and_puts_an_override_where_asked(unit_a, executive):
    high = DemandFactory.create(unit=unit_a, priority_score=D("9"))
    mid = DemandFactory.create(unit=unit_a, priority_score=D("5"))
    low = DemandFactory.create(unit=unit_a, priority_score=D("1"))
    unscored = DemandFactory.create(unit=unit_a)
    services.override_rank(low, 1, actor=executive, reason="Legal obligation.")
    rows = list(selectors.ranked(Demand.objects.all()))
    assert rows == [low, high, mid, unscored]
    assert [r.score_rank for r in rows] == [3, 1, 2, 4]  # type: ignore[attr-defined]  # annotated


def test_it_records_benefits_only_after_delivery(demand_a, brm):
    with pytest.raises(services.TransitionError):
        services.record_benefit(
            demand_a,
            actor=brm,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            planned=100,
            realised=50,
        )


def test_it_clears_the_confirmation_when_the_realised_figure_changes(demand_a, brm, leader):
    with_case(demand_a, DemandStatus.DELIVERED)
    kwargs: dict[str, Any] = {
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 3, 31),
        "planned": 100,
    }
    record = services.record_benefit(demand_a, actor=brm, realised=50, **kwargs)
    assert services.confirm_benefits(demand_a, [record.pk], actor=leader) == 1
    record.refresh_from_db()
    assert record.confirmed_by == leader
    services.record_benefit(demand_a, actor=brm, realised=60, **kwargs)
    record.refresh_from_db()
    assert record.confirmed_at is None and record.realised_amount == 60


def test_it_refuses_negative_benefits(demand_a, brm):
    with_case(demand_a, DemandStatus.DELIVERED)
    with pytest.raises(services.InputError):
        services.record_benefit(
            demand_a,
            actor=brm,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            planned=100,
            realised=-1,
        )
    assert not demand_a.benefit_records.exists()


def test_it_lets_only_the_units_leader_confirm(demand_a, brm, leader_b):
    with_case(demand_a, DemandStatus.DELIVERED)
    record = BenefitRecordFactory.create(demand=demand_a)
    for actor in (brm, leader_b):
        with pytest.raises(services.ForbiddenTransition):
            services.confirm_benefits(demand_a, [record.pk], actor=actor)


def test_it_computes_value_leakage_per_demand_unit_and_objective(
    unit_a, unit_b, objectives, leader
):
    grow, risk = objectives
    a1 = DemandFactory.create(unit=unit_a, status="delivered")
    a1.objectives.set([grow])
    a2 = DemandFactory.create(unit=unit_a, status="delivered")
    a2.objectives.set([grow, risk])
    b1 = DemandFactory.create(unit=unit_b, status="delivered")
    BenefitRecordFactory.create(demand=a1, planned_amount=1000, realised_amount=700)
    BenefitRecordFactory.create(
        demand=a1,
        planned_amount=1000,
        realised_amount=1000,
        confirmed_by=leader,
        confirmed_at="2026-01-01T00:00Z",
    )
    BenefitRecordFactory.create(demand=a2, planned_amount=500, realised_amount=100)
    BenefitRecordFactory.create(demand=b1, planned_amount=300, realised_amount=300)

    per_demand: dict[int, Any] = {d.pk: d for d in Demand.objects.with_benefits()}  # annotated rows
    assert per_demand[a1.pk].planned_total == D("2000") and per_demand[a1.pk].leakage == D("300")
    assert per_demand[a1.pk].confirmed_total == D("1000")
    assert per_demand[a2.pk].leakage == D("400") and per_demand[b1.pk].leakage == D("0")

    units = {
        r.label: (r.planned, r.realised, r.leakage)
        for r in selectors.leakage_by_unit(Demand.objects.all())
    }
    assert units == {"Finance": (D(2500), D(1800), D(700)), "Operations": (D(300), D(300), D(0))}

    by_obj = {r.label: r.leakage for r in selectors.leakage_by_objective(Demand.objects.all())}
    # a2 serves both objectives and counts fully under each; b1 has none.
    assert by_obj == {"Grow revenue": D(700), "Reduce risk": D(400), "No objective": D(0)}


def test_it_splits_the_portfolio_share_between_objectives(unit_a, objectives):
    grow, risk = objectives
    DemandFactory.create(unit=unit_a, estimated_cost=600).objectives.set([grow])
    DemandFactory.create(unit=unit_a, estimated_cost=200).objectives.set([grow, risk])
    DemandFactory.create(unit=unit_a, estimated_cost=200)
    DemandFactory.create(unit=unit_a, estimated_cost=5000, status="rejected").objectives.set([risk])
    share = {
        s.name: (s.demands, s.investment, s.share_pct)
        for s in selectors.portfolio_share(Demand.objects.all())
    }
    assert share == {
        "Grow revenue": (2, D("700.00"), D("70.0")),
        "Reduce risk": (1, D("100.00"), D("10.0")),
        "Not aligned to an objective": (1, D("200.00"), D("20.0")),
    }
