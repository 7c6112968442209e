"""Improvement plans in the reader's language (issue 17): a proposed plan stores its reason as a
message id and parameters beside the English sentence and is read in the reader's language; a
plan stored before (or a reason a person typed) shows its stored text; the proposed actions,
ordinary commitments the BRM then owns and edits, are written in the BRM's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from brm.health.engine import recompute_health
from brm.health.models import ImprovementPlan
from brm.health.plans import start_plan
from tests.factories import BusinessUnitFactory, InteractionFactory, UserFactory, choose_language

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))


def _red_unit(brm):
    unit = BusinessUnitFactory.create(brm=brm)
    with time_machine.travel(NOW, tick=False):
        InteractionFactory.create(unit=unit, occurred_at=NOW - timedelta(days=3), sentiment=-2)
        recompute_health(NOW)
    return unit, ImprovementPlan.objects.get(unit=unit)


def test_a_proposed_plans_reason_is_stored_in_english_and_read_in_each_language():
    _, plan = _red_unit(UserFactory.create(username="owner"))
    assert plan.reason_msg == "plan.red"
    assert plan.reason.startswith("Relationship health ")
    assert "(red). Weakest: how the business feels 0" in plan.reason
    assert plan.reason_text == plan.reason
    with translation.override("es"):
        assert plan.reason_text.startswith("La salud de la relación está en ")
        assert "(rojo). Lo más débil: cómo se siente el negocio 0" in plan.reason_text


def test_an_old_plan_and_a_typed_reason_keep_their_stored_text(brm, unit_a):
    old = ImprovementPlan(unit=unit_a, reason="Relationship health 30 is below 50 (red).")
    unknown = ImprovementPlan(unit=unit_a, reason="Kept", reason_msg="gone.later", reason_params={})
    broken = ImprovementPlan(unit=unit_a, reason="Kept too", reason_msg="plan.red")
    typed = start_plan(unit_a, actor=brm, reason="Sponsor unhappy")
    with translation.override("es"):
        assert old.reason_text == "Relationship health 30 is below 50 (red)."
        assert unknown.reason_text == "Kept"
        assert broken.reason_text == "Kept too"  # parameters missing
        assert typed.reason_text == "Sponsor unhappy"


def test_a_plan_started_without_a_reason_says_so_in_the_readers_language(brm, unit_a):
    plan = start_plan(unit_a, actor=brm)
    assert plan.reason == "Started by the BRM."
    with translation.override("es"):
        assert plan.reason_text == "Iniciado por el responsable de relación de negocio."


def test_the_proposed_actions_are_written_in_the_brms_language():
    brm = UserFactory.create(username="owner")
    choose_language(brm, "es")
    _, plan = _red_unit(brm)
    titles = set(plan.actions.values_list("title", flat=True))
    assert "Reúnete con el patrocinador para conocer la visión del negocio y acordar las tres " in (
        " ".join(titles)
    )
    assert all(
        d.startswith("Plan de mejora: ") for d in plan.actions.values_list("description", flat=True)
    )
    assert plan.reason.startswith("Relationship health ")  # the stored fallback stays English


def test_an_english_brm_gets_english_actions():
    _, plan = _red_unit(UserFactory.create(username="owner"))
    titles = list(plan.actions.values_list("title", flat=True))
    assert (
        "Meet the sponsor to hear the business's view and agree the top three priorities" in titles
    )


def test_the_unit_page_shows_the_reason_in_the_readers_language(client, brm):
    unit, _ = _red_unit(brm)
    choose_language(brm, "es")
    client.force_login(brm)
    html = client.get(f"/units/{unit.pk}/health/").content.decode()
    assert "La salud de la relación está en " in html
    assert "Relationship health " not in html
