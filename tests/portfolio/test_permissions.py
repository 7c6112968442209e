"""Who may change the catalogue and move demand is decided in the portfolio services.

Every test but the API one calls a service directly, so the rule holds for any entry point. A
role refusal is `ForbiddenAction` (403) and writes nothing; `StateConflict` (409) stays for what
the demand's state does not allow now.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from brm.core.errors import ForbiddenAction, StateConflict
from portfolio import permissions
from portfolio.models import Demand, DemandStatus, DemandStatusChange, Service, ServiceMetric
from portfolio.services import demand as services
from portfolio.services import workflow
from portfolio.services.catalogue import MetricInput, delete_service, save_service, upsert_metrics
from tests.factories import BenefitRecordFactory, ServiceFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

demand_a = demand_fixtures.demand_a
pytestmark = pytest.mark.django_db


def _idea(unit=None) -> services.DemandInput:
    return services.DemandInput(
        title="Self-service expense claims",
        problem="Paper claims take three weeks.",
        outcome="Claims paid within a week.",
        unit=unit,
    )


def _metric(service) -> MetricInput:
    return MetricInput(
        service, date(2026, 10, 1), date(2026, 10, 31), {"availability": Decimal("99.9")}
    )


# --- Submitting demand ---------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "unit"), [("leader", None), ("brm", "unit_a")])
def test_it_lets_leaders_and_brms_submit(request, persona, unit, unit_a) -> None:
    actor = request.getfixturevalue(persona)
    target = request.getfixturevalue(unit) if unit else None

    demand = services.submit_demand(_idea(target), actor=actor)

    assert demand.unit == unit_a
    assert permissions.may_submit_demand(actor, unit_a)


@pytest.mark.parametrize(
    ("persona", "unit"),
    [("executive", "unit_a"), ("integration", "unit_a"), ("other_brm", "unit_a")],
)
def test_it_refuses_submissions_from_other_roles_and_units(request, persona, unit) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)

    with pytest.raises(ForbiddenAction):
        services.submit_demand(_idea(target), actor=actor)

    assert not Demand.objects.exists()
    assert not permissions.may_submit_demand(actor, target)


# --- Moving demand ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["executive", "admin_user"])
def test_it_lets_the_portfolio_board_approve(request, persona, demand_a) -> None:
    actor = request.getfixturevalue(persona)
    with_case(demand_a)

    workflow.transition_demand(demand_a, DemandStatus.APPROVED, actor=actor)

    assert Demand.objects.get(pk=demand_a.pk).status == DemandStatus.APPROVED
    assert workflow.may_approve_demand(actor, demand_a)


@pytest.mark.parametrize("persona", ["brm", "leader", "other_brm", "integration"])
def test_it_refuses_approval_to_other_roles(request, persona, demand_a) -> None:
    # The unit's own BRM proposes (assessing, the business case) but never approves it.
    actor = request.getfixturevalue(persona)
    with_case(demand_a)

    with pytest.raises(ForbiddenAction):
        workflow.transition_demand(demand_a, DemandStatus.APPROVED, actor=actor)

    assert Demand.objects.get(pk=demand_a.pk).status == DemandStatus.ASSESSING
    assert not DemandStatusChange.objects.filter(demand=demand_a).exists()
    assert not workflow.may_approve_demand(actor, demand_a)


def test_a_sponsor_approving_an_idea_is_a_refusal_not_a_conflict(leader, demand_a) -> None:
    # No move leads from "idea" to "approved"; the sponsor may never approve: a 403, not a 409.
    with pytest.raises(ForbiddenAction):
        workflow.transition_demand(demand_a, DemandStatus.APPROVED, actor=leader)


def test_a_move_out_of_order_stays_a_conflict_for_the_brm(brm, demand_a) -> None:
    with pytest.raises(StateConflict) as exc:
        workflow.transition_demand(demand_a, DemandStatus.DELIVERED, actor=brm)

    assert not isinstance(exc.value, ForbiddenAction)


# --- Benefits -----------------------------------------------------------------------------------


def test_confirming_before_delivery_is_a_conflict_for_the_sponsor(leader, demand_a) -> None:
    with_case(demand_a, DemandStatus.IN_DELIVERY)
    record = BenefitRecordFactory.create(demand=demand_a)

    with pytest.raises(StateConflict) as exc:
        services.confirm_benefits(demand_a, [record.pk], actor=leader)

    assert not isinstance(exc.value, ForbiddenAction)


@pytest.mark.parametrize("persona", ["brm", "executive", "leader_b"])
def test_it_refuses_confirming_benefits_to_anyone_but_the_sponsor(
    request, persona, demand_a
) -> None:
    with_case(demand_a, DemandStatus.DELIVERED)
    record = BenefitRecordFactory.create(demand=demand_a)

    with pytest.raises(ForbiddenAction):
        services.confirm_benefits(demand_a, [record.pk], actor=request.getfixturevalue(persona))

    record.refresh_from_db()
    assert record.confirmed_at is None


# --- The catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["integration", "admin_user"])
def test_it_lets_integrations_and_admins_push_metrics(request, persona) -> None:
    service = ServiceFactory.create()

    upsert_metrics([_metric(service)], actor=request.getfixturevalue(persona))

    assert ServiceMetric.objects.filter(service=service).count() == 1


@pytest.mark.parametrize("persona", ["brm", "executive", "leader"])
def test_it_refuses_metrics_from_other_roles(request, persona) -> None:
    service = ServiceFactory.create()

    with pytest.raises(ForbiddenAction):
        upsert_metrics([_metric(service)], actor=request.getfixturevalue(persona))

    assert not ServiceMetric.objects.exists()


def test_the_api_answers_403_when_a_sponsor_approves(as_user, leader, demand_a) -> None:
    response = as_user(leader).post(
        f"/api/v1/demands/{demand_a.pk}/transition/", {"to": "approved"}, format="json"
    )

    assert response.status_code == 403
    assert Demand.objects.get(pk=demand_a.pk).status == DemandStatus.IDEA


@pytest.mark.parametrize("persona", ["brm", "executive", "leader"])
def test_it_refuses_catalogue_changes_to_other_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)
    existing = ServiceFactory.create(name="Email")
    existing.name = "Mail"

    with pytest.raises(ForbiddenAction):
        save_service(Service(name="Payroll"), actor=actor, consumers=[unit_a])
    with pytest.raises(ForbiddenAction):
        save_service(existing, actor=actor)
    with pytest.raises(ForbiddenAction):
        delete_service(existing, actor=actor)

    assert list(Service.objects.values_list("name", flat=True)) == ["Email"]


def test_it_lets_an_integration_add_a_service(integration, unit_a) -> None:
    service = save_service(Service(name="Payroll"), actor=integration, consumers=[unit_a])

    assert list(service.consumers.all()) == [unit_a]


# --- Portfolio governance: the board decides, the BRM proposes (issue 12) ---------------------


def test_the_brm_proposes_and_may_still_turn_an_idea_down(brm, demand_a) -> None:
    workflow.transition_demand(demand_a, DemandStatus.ASSESSING, actor=brm)
    with_case(demand_a)

    offered = [t.target for t in workflow.allowed_transitions(demand_a, brm)]

    assert DemandStatus.APPROVED not in offered
    assert DemandStatus.REJECTED in offered and DemandStatus.WITHDRAWN in offered


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("executive", True),
        ("admin_user", True),
        ("brm", False),
        ("other_brm", False),
        ("leader", False),
        ("integration", False),
    ],
)
def test_only_the_board_cancels_an_approved_demand(request, persona, allowed, demand_a) -> None:
    actor = request.getfixturevalue(persona)
    with_case(demand_a, DemandStatus.APPROVED)

    if allowed:
        workflow.transition_demand(demand_a, DemandStatus.REJECTED, actor=actor, reason="Budget")
    else:
        with pytest.raises(ForbiddenAction):
            workflow.transition_demand(
                demand_a, DemandStatus.REJECTED, actor=actor, reason="Budget"
            )

    expected = DemandStatus.REJECTED if allowed else DemandStatus.APPROVED
    assert Demand.objects.get(pk=demand_a.pk).status == expected


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("executive", True),
        ("admin_user", True),
        ("brm", False),  # judge in their own cause
        ("other_brm", False),
        ("leader", False),
        ("integration", False),
    ],
)
def test_only_the_board_reranks_demand(request, persona, allowed, demand_a) -> None:
    actor = request.getfixturevalue(persona)

    if allowed:
        services.override_rank(demand_a, 1, actor=actor, reason="Regulator deadline.")
    else:
        with pytest.raises(ForbiddenAction):
            services.override_rank(demand_a, 1, actor=actor, reason="Mine first.")

    assert Demand.objects.get(pk=demand_a.pk).rank_override == (1 if allowed else None)
    assert workflow.may_override_rank(demand_a, actor) is allowed


@pytest.mark.parametrize(("persona", "status"), [("executive", 200), ("brm", 403)])
def test_the_api_applies_the_board_rule(as_user, request, persona, status, demand_a) -> None:
    client = as_user(request.getfixturevalue(persona))
    with_case(demand_a)

    approved = client.post(
        f"/api/v1/demands/{demand_a.pk}/transition/", {"to": "approved"}, format="json"
    )
    ranked = client.post(
        f"/api/v1/demands/{demand_a.pk}/override/", {"rank": 2, "reason": "Why"}, format="json"
    )

    assert (approved.status_code, ranked.status_code) == (status, status)
    fresh = Demand.objects.get(pk=demand_a.pk)
    assert fresh.status == (DemandStatus.APPROVED if status == 200 else DemandStatus.ASSESSING)
    assert fresh.rank_override == (2 if status == 200 else None)


@pytest.mark.parametrize(("persona", "status"), [("executive", 200), ("brm", 403)])
def test_the_pages_apply_the_board_rule(client, request, persona, status, demand_a) -> None:
    client.force_login(request.getfixturevalue(persona))
    with_case(demand_a)

    page = client.get(f"/demands/{demand_a.pk}/").content.decode()
    approved = client.post(
        f"/demands/{demand_a.pk}/transition/", {"to": "approved"}, HTTP_HX_REQUEST="true"
    )
    ranked = client.post(
        f"/demands/{demand_a.pk}/override/", {"rank": 2, "reason": "Why"}, HTTP_HX_REQUEST="true"
    )

    assert ('value="approved"' in page) is (status == 200)
    assert (approved.status_code, ranked.status_code) == (status, status)
    fresh = Demand.objects.get(pk=demand_a.pk)
    assert fresh.status == (DemandStatus.APPROVED if status == 200 else DemandStatus.ASSESSING)
