"""Relationship health in the reader's language (issue 17): the facts behind each figure are
stored as a message id and parameters and rendered when read (page, PDF, API, dashboard,
digest), with Spanish numbers and dates; old snapshots, stored as English sentences only, still
read as they were. The dashboard's and evidence report's words built in Python too."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from brm.core import pdf
from brm.health.charts import health_history_chart
from brm.health.digest import send_weekly_digest
from brm.health.engine import recompute_health
from brm.health.facts import Fact, FactKind, render, visible_facts, watermelon_reason_text
from brm.health.models import HealthSnapshot
from brm.health.selectors import LiveFigures, next_best_actions
from tests.brm.health_fixtures import metrics, survey
from tests.factories import choose_language

pytestmark = pytest.mark.django_db


@pytest.fixture
def watermelon(unit_a):
    """SLAs all green, survey answers poor: a watermelon with figures in both languages."""
    metrics(unit_a, met=4, missed=0, name="Nóminas", now=timezone.now())
    survey(unit_a, [(1, 2), (2, 3)], at=timezone.now() - timedelta(days=5))
    recompute_health(propose=False)
    return unit_a


def test_a_fact_is_rendered_in_the_readers_language_with_its_numbers():
    fact = Fact.of("perception.ratings", avg=3.25, n=2, previous=4.0).stored()
    assert fact["text"] == "Complaint resolutions rated 3.2/5 (2 ratings), down from 4.0"
    with translation.override("es"):
        assert render(fact) == (
            "Resoluciones de reclamaciones valoradas con 3,2/5 (2 valoraciones), baja desde 4,0"
        )
    assert render(fact) == fact["text"]


def test_a_fact_stored_before_message_ids_shows_its_stored_sentence():
    legacy = [{"text": "3 of 4 service periods met their SLA (75%)", "kind": "figure"}]
    legacy[0]["visibility"] = "everyone"
    unknown = {**legacy[0], "msg": "gone.in.a.later.release", "params": {}}
    with translation.override("es"):
        assert [f["text"] for f in visible_facts([*legacy, unknown], None)] == [
            "3 of 4 service periods met their SLA (75%)",
            "3 of 4 service periods met their SLA (75%)",
        ]


def test_the_engine_stores_english_whatever_language_is_active(unit_a):
    metrics(unit_a, met=3, missed=1, now=timezone.now())
    with translation.override("es"):
        recompute_health(propose=False)
    row = HealthSnapshot.objects.get(unit=unit_a).components[1]
    assert row["label"] == "Service delivery (SLAs)"
    assert row["facts"][0]["text"] == "3 of 4 service periods met their SLA (75%)"
    assert row["facts"][0]["msg"] == "delivery.sla_met"


def test_a_spanish_reader_reads_the_facts_in_spanish(client, brm, watermelon):
    choose_language(brm, "es")
    client.force_login(brm)
    html = client.get(f"/units/{watermelon.pk}/health/").content.decode()
    assert "4 de 4 periodos de servicio cumplieron su SLA (100 %)" in html
    assert "CSAT 1,5, NPS -100 de 2 respuestas a encuestas" in html
    assert "Prestación del servicio (SLA)" in html
    assert "Sandía (SLA en verde): Cómo se siente el negocio está en 6, por debajo de 50" in html
    assert "service periods met their SLA" not in html


def test_an_english_reader_reads_them_in_english(client, brm, watermelon):
    client.force_login(brm)
    html = client.get(f"/units/{watermelon.pk}/health/").content.decode()
    assert "4 of 4 service periods met their SLA (100%)" in html
    assert "How the business feels is 6, below 50" in html


def test_the_pdf_is_written_in_the_readers_language(client, brm, watermelon, monkeypatch):
    documents = []
    real = pdf.pdf_document

    def keep(*args, **kwargs):
        documents.append(real(*args, **kwargs))
        return documents[-1]

    monkeypatch.setattr(pdf, "pdf_document", keep)
    choose_language(brm, "es")
    client.force_login(brm)
    assert client.get(f"/units/{watermelon.pk}/health/?format=pdf").status_code == 200
    text = " ".join(pdf.document_text(documents[-1]).split())
    assert "cumplieron su SLA" in text
    assert "Gestión de la relación de negocio Página 2 de 2" in text  # the margin boxes


def test_the_api_answers_facts_in_the_callers_language(as_user, brm, watermelon):
    api = as_user(brm)
    spanish = api.get(f"/api/v1/health/{watermelon.pk}/", headers={"accept-language": "es"})
    components = {c["key"]: c for c in spanish.json()["components"]}
    assert components["delivery"]["label"] == "Prestación del servicio (SLA)"
    assert (
        "4 de 4 periodos de servicio cumplieron su SLA (100 %)" in (components["delivery"]["facts"])
    )
    english = api.get(f"/api/v1/health/{watermelon.pk}/", headers={"accept-language": "en"})
    components = {c["key"]: c for c in english.json()["components"]}
    assert "4 of 4 service periods met their SLA (100%)" in components["delivery"]["facts"]


def test_the_dashboard_gives_the_watermelon_reason_in_spanish(client, executive, watermelon):
    choose_language(executive, "es")
    client.force_login(executive)
    html = client.get("/dashboard/").content.decode()
    section = html.split('id="watermelons"')[1].split("</section>")[0]
    assert "Cómo se siente el negocio está en 6, por debajo de 50" in section
    assert "0-7 días" in html and "sin datos" not in html.split('id="heatmap"')[0][-10:]
    snapshot = HealthSnapshot.objects.get(unit=watermelon)
    assert watermelon_reason_text(snapshot) == snapshot.watermelon_reason  # English here


def test_an_old_watermelon_keeps_its_stored_reason(unit_a):
    snapshot = HealthSnapshot(
        unit=unit_a,
        as_of=date(2026, 1, 5),
        watermelon=True,
        watermelon_reason="How the business feels is 30, below 50",
        components=[
            {
                "key": "perception",
                "label": "How the business feels",
                "weight": 30,
                "value": 30.0,
                "facts": [Fact("Watermelon (SLAs green): x", FactKind.WATERMELON).stored()],
            }
        ],
    )
    with translation.override("es"):
        assert watermelon_reason_text(snapshot) == "How the business feels is 30, below 50"


def test_the_digest_gives_spanish_leaders_the_reason_in_spanish(executive, watermelon):
    choose_language(executive, "es")
    HealthSnapshot.objects.filter(unit=watermelon).update(as_of=timezone.localdate())
    send_weekly_digest()
    body = mail.outbox[-1].body
    assert "Cómo se siente el negocio está en 6, por debajo de 50" in body


def test_next_actions_speak_the_readers_language(watermelon):
    snapshot = HealthSnapshot.objects.get(unit=watermelon)
    live = LiveFigures(overdue_complaints=2, overdue_promises=1, review_days_late=3)
    with translation.override("es"):
        texts = [a["text"] for a in next_best_actions(snapshot, live)]
    assert texts[:3] == [
        "Revisión del servicio vencida hace 3 días: celébrala",
        "2 reclamaciones fuera de plazo",
        "1 compromiso de TI vencido",
    ]
    english = [a["text"] for a in next_best_actions(snapshot, live)]
    assert english[:3] == [
        "Service review 3 days overdue: hold it",
        "2 complaints past the deadline",
        "1 IT promise overdue",
    ]


def test_the_evidence_report_shows_spanish_headings_and_keeps_its_csv_english(client, brm, unit_a):
    choose_language(brm, "es")
    client.force_login(brm)
    html = client.get("/reports/evidence/?start=2026-01-01&end=2026-03-31").content.decode()
    assert "Revisiones celebradas" in html and "Reviews held" not in html
    csv = client.get("/reports/evidence/?start=2026-01-01&end=2026-03-31&format=csv")
    assert b"Business unit" in b"".join(csv.streaming_content)  # a data contract: English


def test_the_charts_name_their_series_in_the_readers_language():
    rows = [{"d": "2026-01-01", "s": 70.5, "p": 60.0, "dl": 80.0}]
    with translation.override("es"):
        svg = str(health_history_chart(rows))
    assert "Puntuación: 70,5 (2026-01-01)." in svg
    assert "Cómo se siente el negocio" in svg
    assert "Puntuación de la relación, percepción y prestación" in svg
    assert "Score: 70.5 (2026-01-01)." in str(health_history_chart(rows))
