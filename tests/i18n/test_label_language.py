"""Display labels built in Python, in the reader's language (issue 17): meeting sentiment, a
stakeholder's quadrant, a commitment's outcome, the resolution rating's buttons, the follow-up
work's groups and the personal-data page's title. The codes behind them (sentiment -2..2,
outcome keys, URL kinds) stay as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from brm.core.models import UserPreference
from complaints.forms import RatingForm
from stakeholders.models import OUTCOME_LABELS, Sentiment, Stakeholder
from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory


def _speaks_spanish(user):
    pref = UserPreference.for_user(user)
    pref.language = "es"
    pref.save()


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
    late = ActionItemFactory(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))
    person = StakeholderFactory(unit=unit_a, influence=5, interest=5)
    InteractionFactory(unit=unit_a, sentiment=-2).attendees.add(person)
    _speaks_spanish(brm)
    client.force_login(brm)
    page = client.get(late.get_absolute_url()).content.decode()
    assert ">Vencido</span>" in page and "Overdue" not in page
    assert late.outcome == "overdue"
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Gestionar de cerca" in html and "Manage closely" not in html
    assert "Muy negativo" in html and "Very negative" not in html


@pytest.mark.django_db
def test_an_english_brm_reads_them_in_english(client, brm, unit_a):
    late = ActionItemFactory(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))
    person = StakeholderFactory(unit=unit_a, influence=5, interest=5)
    InteractionFactory(unit=unit_a, sentiment=-2).attendees.add(person)
    client.force_login(brm)
    assert ">Overdue</span>" in client.get(late.get_absolute_url()).content.decode()
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Manage closely" in html and "Very negative" in html


def test_the_resolution_rating_buttons_are_in_the_readers_language():
    field = RatingForm.base_fields["rating"]
    with translation.override("es"):
        assert [str(label) for _, label in field.choices] == [
            "1 · Mala",
            "2 · Regular",
            "3 · Buena",
            "4 · Muy buena",
            "5 · Excelente",
        ]
    assert [str(label) for _, label in field.choices][0] == "1 · Poor"
    assert [value for value, _ in field.choices] == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_the_personal_data_page_names_the_kind_of_person_in_spanish(client, admin_user, unit_a):
    person = StakeholderFactory(unit=unit_a)
    _speaks_spanish(admin_user)
    client.force_login(admin_user)
    html = client.get(f"/privacy/stakeholders/{person.pk}/").content.decode()
    assert "Datos personales de parte interesada" in html
