"""Display labels built in Python, in the reader's language (issue 17): meeting sentiment, a
stakeholder's quadrant, a commitment's outcome, the resolution rating's buttons, the follow-up
work's groups, the personal-data page's title, and the series names app.js draws. The codes
behind them (sentiment -2..2, outcome keys, URL kinds, severities) stay as they are."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.utils import timezone, translation

from brm.core.chart_names import APP_CHART_NAMES, app_chart_names
from brm.core.models import UserPreference
from complaints.forms import RatingForm
from stakeholders.models import OUTCOME_LABELS, Sentiment, Stakeholder
from tests.factories import (
    ActionItemFactory,
    InteractionFactory,
    ServiceFactory,
    StakeholderFactory,
    choose_language,
)


def test_sentiment_is_named_in_each_language():
    assert [str(label) for label in Sentiment.labels] == [
        "Very negative",
        "Negative",
        "Neutral",
        "Positive",
        "Very positive",
    ]
    with translation.override("es"):
        assert [str(label) for label in Sentiment.labels] == [
            "Muy negativo",
            "Negativo",
            "Neutral",
            "Positivo",
            "Muy positivo",
        ]
    assert Sentiment.values == [-2, -1, 0, 1, 2]


def test_a_quadrant_is_named_in_each_language():
    people = [Stakeholder(influence=i, interest=n) for i, n in [(5, 5), (5, 1), (1, 5), (1, 1)]]
    assert [p.quadrant for p in people] == [
        "Manage closely",
        "Keep satisfied",
        "Keep informed",
        "Monitor",
    ]
    with translation.override("es"):
        assert [p.quadrant for p in people] == [
            "Gestionar de cerca",
            "Mantener satisfecha",
            "Mantener informada",
            "Vigilar",
        ]


def test_a_commitments_outcome_is_named_in_each_language_and_its_key_stays():
    assert list(OUTCOME_LABELS) == ["open", "overdue", "on_time", "late", "dropped"]
    with translation.override("es"):
        assert [str(v) for v in OUTCOME_LABELS.values()] == [
            "Abierto",
            "Vencido",
            "Cumplido a tiempo",
            "Cumplido con retraso",
            "Abandonado",
        ]
    assert [str(v) for v in OUTCOME_LABELS.values()] == [
        "Open",
        "Overdue",
        "Done on time",
        "Done late",
        "Dropped",
    ]


@pytest.mark.django_db
def test_a_spanish_brm_reads_outcomes_sentiment_and_quadrants_in_spanish(client, brm, unit_a):
    late = ActionItemFactory.create(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))
    person = StakeholderFactory.create(unit=unit_a, influence=5, interest=5)
    InteractionFactory.create(unit=unit_a, sentiment=-2).attendees.add(person)
    choose_language(brm, "es")
    client.force_login(brm)
    page = client.get(late.get_absolute_url()).content.decode()
    assert ">Vencido</span>" in page and "Overdue" not in page
    assert late.outcome == "overdue"
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Gestionar de cerca" in html and "Manage closely" not in html
    assert "Muy negativo" in html and "Very negative" not in html


@pytest.mark.django_db
def test_an_english_brm_reads_them_in_english(client, brm, unit_a):
    late = ActionItemFactory.create(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))
    person = StakeholderFactory.create(unit=unit_a, influence=5, interest=5)
    InteractionFactory.create(unit=unit_a, sentiment=-2).attendees.add(person)
    client.force_login(brm)
    assert ">Overdue</span>" in client.get(late.get_absolute_url()).content.decode()
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Manage closely" in html and "Very negative" in html


def test_the_resolution_rating_buttons_are_in_the_readers_language():
    field = RatingForm.base_fields["rating"]
    assert isinstance(field, forms.ChoiceField)
    choices: list[tuple[int, str]] = list(field.choices)  # type: ignore[arg-type]
    with translation.override("es"):
        assert [str(label) for _, label in choices] == [
            "1 · Mala",
            "2 · Regular",
            "3 · Buena",
            "4 · Muy buena",
            "5 · Excelente",
        ]
    assert [str(label) for _, label in choices][0] == "1 · Poor"
    assert [value for value, _ in choices] == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_the_personal_data_page_names_the_kind_of_person_in_spanish(client, admin_user, unit_a):
    person = StakeholderFactory.create(unit=unit_a)
    choose_language(admin_user, "es")
    client.force_login(admin_user)
    html = client.get(f"/privacy/stakeholders/{person.pk}/").content.decode()
    assert "Datos personales de parte interesada" in html


# --- Chart names (static/js/app.js) -------------------------------------------------------------

APP_JS = Path(settings.BASE_DIR) / "static" / "js" / "app.js"


def _chart_names(html: str) -> dict[str, str]:
    found = re.search(r'<script id="chart-names" type="application/json">(.*?)</script>', html)
    assert found, "no chart-names element"
    names: dict[str, str] = json.loads(found.group(1))
    return names


def test_every_name_app_js_asks_for_is_translated_with_its_english_fallback():
    """app.js's `name("key", "English")`: the key is in APP_CHART_NAMES, whose English is the
    script's fallback, and no series label is left as bare English in the script."""
    script = APP_JS.read_text(encoding="utf-8")
    asked = dict(re.findall(r'name\("(\w+)", "([^"]+)"\)', script))
    assert asked == {key: str(name) for key, name in APP_CHART_NAMES.items()}
    assert re.findall(r'label: "[^"]*"', script) == []
    with translation.override("es"):
        assert app_chart_names()["sentiment"] == "Sentimiento medio"
        assert app_chart_names()["target"] == "Objetivo %"


@pytest.mark.django_db
def test_the_complaint_reports_chart_names_in_spanish_and_english(client, executive, unit_a):
    choose_language(executive, "es")
    client.force_login(executive)
    html = client.get("/complaints/reports/").content.decode()
    assert _chart_names(html)["ack_on_time"] == "Con acuse a tiempo"
    data = re.search(r'id="complaint-chart-data" type="application/json">(.*?)</script>', html)
    assert data is not None
    chart = json.loads(data[1])
    assert chart["severities"] == ["low", "medium", "high", "critical"]
    assert chart["severity_labels"]["critical"] == "Crítica"
    UserPreference.objects.filter(user=executive).update(language="en")
    html = client.get("/complaints/reports/").content.decode()
    assert _chart_names(html)["ack_on_time"] == "Acknowledged on time"


@pytest.mark.django_db
def test_the_handover_pack_and_service_page_name_their_series_in_spanish(client, brm, unit_a):
    service = ServiceFactory.create()
    choose_language(brm, "es")
    client.force_login(brm)
    handover = client.get(f"/units/{unit_a.pk}/handover/").content.decode()
    assert _chart_names(handover)["sentiment"] == "Sentimiento medio"
    page = client.get(f"/services/{service.pk}/").content.decode()
    assert _chart_names(page)["availability"] == "Disponibilidad %"
