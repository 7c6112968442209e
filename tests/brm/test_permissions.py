"""Who may act on relationship health is decided in its services (plans, maturity, recompute).

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403) and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brm.core.errors import ForbiddenAction
from brm.health import permissions, plans, services
from brm.health.maturity import rate_maturity
from brm.health.models import ImprovementPlan, MaturityAssessment, PlanStatus
from stakeholders.models import ActionItem

WRITERS = ["brm", "admin_user", "integration"]
READERS = ["other_brm", "executive", "leader", "no_role_user"]


@pytest.fixture
def plan(unit_a):
    return plans.start_plan(unit_a, actor=None, reason="Red for a month.")  # type: ignore[arg-type]  # the system opens plans too


@pytest.mark.parametrize("persona", WRITERS)
def test_it_lets_the_units_writers_start_a_plan(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    plans.start_plan(unit_a, actor=actor, reason="Sponsor unhappy")

    assert ImprovementPlan.objects.filter(unit=unit_a, status=PlanStatus.ACTIVE).count() == 1
    assert permissions.may_start_plan(actor, unit_a)


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_a_plan_to_read_only_roles(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        plans.start_plan(unit_a, actor=actor)

    assert not ImprovementPlan.objects.exists()
    assert not permissions.may_start_plan(actor, unit_a)


@pytest.mark.parametrize("persona", READERS)
def test_it_refuses_changing_a_plan_to_read_only_roles(request, persona, plan) -> None:
    actor = request.getfixturevalue(persona)
    due = timezone.localdate() + timedelta(days=7)

    with pytest.raises(ForbiddenAction):
        plans.add_plan_action(plan, actor=actor, title="Weekly call", due_date=due)
    with pytest.raises(ForbiddenAction):
        plans.close_plan(plan, actor=actor, completed=True)

    assert not ActionItem.objects.exists()
    assert ImprovementPlan.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE


def test_it_lets_the_units_brm_add_to_and_close_a_plan(brm, plan) -> None:
    due = timezone.localdate() + timedelta(days=7)

    plans.add_plan_action(plan, actor=brm, title="Weekly call", due_date=due)
    plans.close_plan(plan, actor=brm, completed=True)

    assert plan.actions.count() == 1
    assert ImprovementPlan.objects.get(pk=plan.pk).status == PlanStatus.COMPLETED


@pytest.mark.parametrize(("persona", "side"), [("brm", "it"), ("leader", "business")])
def test_it_lets_each_side_rate_maturity(request, persona, side, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    rating = rate_maturity(unit_a, actor=actor, level=3)

    assert rating.side == side
    assert permissions.may_rate_maturity(actor, unit_a)


@pytest.mark.parametrize("persona", ["other_brm", "executive", "leader_b", "admin_user"])
def test_it_refuses_maturity_ratings_from_anyone_without_a_side(request, persona, unit_a) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        rate_maturity(unit_a, actor=actor, level=3)

    assert not MaturityAssessment.objects.exists()


@pytest.mark.parametrize("persona", ["brm", "admin_user", "integration", "executive"])
def test_it_lets_writers_and_leadership_ask_for_a_recompute(
    request, persona, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        services.request_recompute(actor=request.getfixturevalue(persona))

    assert len(callbacks) == 1


@pytest.mark.parametrize("persona", ["leader", "no_role_user"])
def test_it_refuses_a_recompute_to_other_roles(
    request, persona, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ForbiddenAction):
        services.request_recompute(actor=request.getfixturevalue(persona))

    assert callbacks == []
