"""Scoring, renormalisation, bands, watermelons, trends, snapshots and improvement plans."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from brm.health.components import Component
from brm.health.engine import (
    compute_health,
    recompute_health,
    watermelon_reason,
    weighted_score,
)
from brm.health.facts import Fact
from brm.health.models import HealthSettings, HealthSnapshot, ImprovementPlan
from tests.brm.health_fixtures import NOW, metrics, survey, texts
from tests.factories import BusinessUnitFactory, InteractionFactory, UserFactory

WEIGHTS = {"perception": 30, "delivery": 20, "complaints": 20, "engagement": 15, "commitments": 15}


def test_it_weights_components_and_renormalises_missing_ones():
    values = {
        "perception": 40.0,
        "delivery": 90.0,
        "complaints": None,
        "engagement": None,
        "commitments": None,
    }
    # (40*30 + 90*20) / 50 = 60
    assert weighted_score(values, WEIGHTS) == 60.0


def test_it_has_no_score_without_any_data():
    assert weighted_score(dict.fromkeys(WEIGHTS), WEIGHTS) is None


def _perception(value, previous=None, counts=5):
    """A perception component whose blend moved from `previous` to `value` (one signal)."""
    data = {"signals": {"sentiment": value}, "counts": {"sentiment": counts}}
    if previous is not None:
        data |= {
            "previous": previous,
            "previous_signals": {"sentiment": previous},
            "previous_counts": {"sentiment": counts},
        }
    return Component(value, [], data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("delivery", "perception", "expected"),
    [
        (95.0, _perception(40.0), True),  # green outside, red inside
        (95.0, _perception(65.0, previous=85.0), True),  # perception falling fast
        (95.0, _perception(65.0, previous=75.0), False),  # falling, but not by more than 15
        (95.0, _perception(65.0, previous=85.0, counts=2), False),  # too few answers to tell
        (70.0, _perception(30.0), False),  # delivery is not green: no disguise
        (95.0, _perception(60.0), False),  # perception amber, steady
        (None, _perception(30.0), False),  # no SLA data: nothing to be fooled by
        (95.0, None, False),  # no perception data: nothing to contrast
    ],
)
def test_it_detects_watermelons(delivery, perception, expected):
    assert bool(watermelon_reason(delivery, perception, HealthSettings.get())) is expected


@pytest.mark.django_db
def test_it_uses_the_admin_thresholds_for_bands():
    cfg = HealthSettings.get()
    assert [cfg.band(s) for s in (70, 69.9, 50, 49.9, None)] == [
        "green",
        "amber",
        "amber",
        "red",
        "none",
    ]
    cfg.green_from = 80
    assert cfg.band(75) == "amber"


@pytest.mark.django_db
def test_it_flags_a_unit_with_green_slas_and_unhappy_business_as_a_watermelon():
    unit = BusinessUnitFactory.create(name="Sales")
    with time_machine.travel(NOW, tick=False):
        metrics(unit, met=4, missed=0)
        survey(unit, [(1, 2), (2, 3)])
        health = {h.unit_id: h for h in compute_health(NOW)}[unit.pk]
    assert health.components["delivery"].value == 100.0
    assert health.components["perception"].value < 50
    assert health.watermelon is True


@pytest.mark.django_db
def test_it_stores_one_snapshot_per_unit_and_day_and_replaces_it_when_rerun():
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=1), sentiment=2)
    recompute_health(NOW)
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(hours=1), sentiment=-2)
    recompute_health(NOW)
    snapshots = HealthSnapshot.objects.filter(unit=unit)
    assert snapshots.count() == 1
    assert snapshots.get().perception == 50.0  # mean sentiment 0 after the second meeting


@pytest.mark.django_db
def test_it_computes_the_trend_against_30_days_earlier_without_any_stored_snapshot():
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=35), sentiment=2)
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=1), sentiment=-2)
    assert not HealthSnapshot.objects.exists()
    recompute_health(NOW, propose=False)  # the first run of a fresh installation
    today = HealthSnapshot.objects.get(unit=unit, as_of=NOW.date())
    then = {h.unit_id: h for h in compute_health(NOW - timedelta(days=30))}[unit.pk]
    # 30 days ago only the +2 meeting had happened (100); today the mean is 0 (50).
    assert then.components["perception"].value == 100.0
    assert today.perception == 50.0
    assert today.trend == round(today.score - then.score, 1)
    assert today.trend < 0
    # Perception against the previous 90-day window, which held no meeting: no change to tell.
    assert today.perception_change is None


@pytest.mark.django_db
def test_it_agrees_with_a_stored_history_computed_as_it_stood_then():
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=35), sentiment=2)
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=1), sentiment=-2)
    recompute_health(NOW - timedelta(days=30), propose=False)  # back-filled after the fact
    recompute_health(NOW, propose=False)
    today = HealthSnapshot.objects.get(unit=unit, as_of=NOW.date())
    then = HealthSnapshot.objects.get(unit=unit, as_of=(NOW - timedelta(days=30)).date())
    assert then.perception == 100.0  # the later meeting is not counted in the past
    assert today.trend == round(today.score - then.score, 1)


@pytest.mark.django_db
def test_it_proposes_an_improvement_plan_from_the_weakest_components_once():
    brm = UserFactory.create(username="owner")
    unit = BusinessUnitFactory.create(brm=brm)
    with time_machine.travel(NOW, tick=False):
        InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=3), sentiment=-2)
        recompute_health(NOW)
        recompute_health(NOW)  # running twice opens no second plan
    plan = ImprovementPlan.objects.get(unit=unit)
    assert plan.status == "active"
    assert "red" in plan.reason and "how the business feels 0" in plan.reason
    actions = plan.actions.all()
    assert actions.count() >= 2
    assert {a.owner_id for a in actions} == {brm.pk}
    assert all(a.owner_side == "it" for a in actions)


@pytest.mark.django_db
def test_it_does_not_propose_plans_when_back_filling_history():
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=3), sentiment=-2)
    recompute_health(NOW, propose=False)
    assert not ImprovementPlan.objects.filter(unit=unit).exists()


@pytest.mark.django_db
def test_it_explains_every_component_and_marks_missing_ones_as_no_data():
    unit = BusinessUnitFactory.create()
    InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=3), sentiment=1)
    recompute_health(NOW, propose=False)
    rows = {r["key"]: r for r in HealthSnapshot.objects.get(unit=unit).components}
    assert rows["delivery"]["value"] is None
    assert texts(rows["delivery"]["facts"]) == ["No data yet"]
    assert rows["perception"]["weight"] == 30
    assert texts(rows["perception"]["facts"]) == ["Meeting sentiment +1.0 from 1 contact"]


def _units_with_data(n: int) -> None:
    for i in range(n):
        unit = BusinessUnitFactory.create()
        InteractionFactory.create(
            unit=unit, occurred_at=NOW - timedelta(days=2), sentiment=i % 3 - 1
        )
        metrics(unit, met=2, missed=1, name=f"Service {unit.pk}")


@pytest.mark.django_db
def test_it_recomputes_with_the_same_number_of_queries_at_any_size(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    HealthSettings.get()  # the settings row is created on first use; not part of the count
    _units_with_data(3)
    recompute_health(NOW, propose=False)  # other apps' settings rows are created on first use
    with CaptureQueriesContext(connection) as small:
        recompute_health(NOW, propose=False)
    _units_with_data(12)
    # settings, the components' reads twice (now and 30 days earlier for the trend, perception
    # with its previous window), unit ids and the upsert; the same whatever the number of units.
    with django_assert_num_queries(len(small.captured_queries)):
        recompute_health(NOW, propose=False)


def test_component_dataclass_keeps_facts_separate_per_instance():
    a, b = Component(1.0), Component(2.0)
    a.facts.append(Fact("x"))
    assert b.facts == []
