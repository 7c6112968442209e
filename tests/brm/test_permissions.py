"""Who may act on relationship health is decided in its services (plans, maturity, recompute).

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403) and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brm.core.errors import ForbiddenAction
from brm.core.roles import Role
from brm.health import permissions, plans, services
from brm.health.maturity import rate_maturity
from brm.health.models import HealthSnapshot, ImprovementPlan, MaturityAssessment, PlanStatus
from brm.health.tasks import recompute_health_chunk
from stakeholders.models import ActionItem
from tests.factories import UserFactory

WRITERS = ["brm", "admin_user", "integration"]


@pytest.fixture
def deputy(unit_a):
    user = UserFactory.create(username="deputy", role=Role.BRM)
    unit_a.deputy = user
    unit_a.save()
    return user


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


@pytest.mark.parametrize("persona", ["executive", "admin_user"])
def test_it_lets_it_leadership_and_admins_recompute_every_unit(
    request, persona, django_capture_on_commit_callbacks
) -> None:
    actor = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks() as callbacks:
        services.request_recompute(actor=actor)

    assert len(callbacks) == 1
    assert permissions.may_recompute(actor)


@pytest.mark.parametrize("persona", ["brm", "integration", "leader", "no_role_user"])
def test_it_refuses_a_recompute_of_every_unit_to_other_roles(
    request, persona, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ForbiddenAction):
        services.request_recompute(actor=request.getfixturevalue(persona))

    assert callbacks == []


@pytest.mark.parametrize("persona", ["brm", "deputy", "executive", "admin_user"])
def test_it_lets_the_units_brm_and_leadership_recompute_one_unit(
    request, persona, unit_a, django_capture_on_commit_callbacks
) -> None:
    actor = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks() as callbacks:
        services.request_unit_recompute(unit_a, actor=actor)

    assert len(callbacks) == 1
    assert permissions.may_recompute(actor, unit_a)


@pytest.mark.parametrize("persona", ["other_brm", "integration", "leader", "no_role_user"])
def test_it_refuses_a_recompute_of_one_unit_to_everyone_else(
    request, persona, unit_a, django_capture_on_commit_callbacks
) -> None:
    actor = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ForbiddenAction):
        services.request_unit_recompute(unit_a, actor=actor)

    assert callbacks == []
    assert not permissions.may_recompute(actor, unit_a)


def test_a_unit_recompute_stores_that_units_snapshot(unit_a, unit_b) -> None:
    recompute_health_chunk([unit_a.pk], timezone.now().isoformat(), "test-run")

    assert list(HealthSnapshot.objects.values_list("unit", flat=True)) == [unit_a.pk]


@pytest.mark.parametrize(
    ("persona", "status"), [("brm", 302), ("executive", 302), ("other_brm", 403), ("leader", 403)]
)
def test_the_pages_apply_the_recompute_rules(
    client, request, persona, status, unit_a, django_capture_on_commit_callbacks
) -> None:
    client.force_login(request.getfixturevalue(persona))

    page = client.get(f"/units/{unit_a.pk}/health/").content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        one = client.post(f"/units/{unit_a.pk}/health/recompute/")
    every = client.post("/dashboard/recompute/")

    assert one.status_code == status
    assert (f"/units/{unit_a.pk}/health/recompute/" in page) is (status == 302)
    assert len(callbacks) == (1 if status == 302 else 0)
    # Every unit at once: IT leadership only (the BRM and the others are refused).
    assert every.status_code == (302 if persona == "executive" else 403)
