"""Board-ready PDFs (issue 15): a unit's health page and the ISO/IEC 20000 evidence report.

Same scope as the HTML pages (a leader gets their own unit's PDF, nobody else's; the evidence
report is IT's), the same figures, the charts drawn as SVG, and a query count that does not grow
with the history or the number of units. Text is read from WeasyPrint's laid-out document
(no PDF parser is installed): `pdf_document` is wrapped to keep what the view rendered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brm.core import pdf
from brm.health.engine import recompute_health
from brm.health.models import ImprovementPlan
from tests.brm.health_fixtures import metrics, survey
from tests.factories import BusinessUnitFactory, ComplaintFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(monkeypatch):
    """The documents the views laid out, newest last."""
    documents = []
    real = pdf.pdf_document

    def keep(*args, **kwargs):
        document = real(*args, **kwargs)
        documents.append(document)
        return document

    monkeypatch.setattr(pdf, "pdf_document", keep)
    return documents


@pytest.fixture
def scored(unit_a, unit_b):
    now = timezone.now()
    metrics(unit_a, met=3, missed=1, name="Payroll", now=now)
    survey(unit_a, [(2, 3), (3, 5)], at=now - timedelta(days=5))
    InteractionFactory.create(unit=unit_a, occurred_at=now - timedelta(days=3), sentiment=-1)
    InteractionFactory.create(unit=unit_b, occurred_at=now - timedelta(days=2), sentiment=2)
    recompute_health(now - timedelta(days=30), propose=False)
    recompute_health(propose=False)
    return unit_a, unit_b


def _pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response


def test_it_prints_a_units_health_with_its_figures_and_chart(client, brm, scored, rendered):
    unit_a, _ = scored
    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/plan/", {"reason": "Sponsor unhappy"})
    plan = ImprovementPlan.objects.get(unit=unit_a)
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    client.post(
        f"/plans/{plan.pk}/actions/", {"title": "Weekly call with the CFO", "due_date": due}
    )
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 4})
    response = _pdf(client, f"/units/{unit_a.pk}/health/?format=pdf")
    assert "relationship-health-finance-" in response["Content-Disposition"]
    text = pdf.document_text(rendered[-1])
    assert "Finance: relationship health" in text
    assert "Weekly call with the CFO" in text and "Trusted advisor (4)" in text
    assert "Add" not in text.split() and "Record my view" not in text  # no forms
    assert "3 of 4 service periods met their SLA (75%)" in text
    assert "CSAT 2.5, NPS -100 from 2 survey responses" in text
    assert "Meeting sentiment -1.0 from 1 contact" in text  # IT reads its notes
    assert "Recompute now" not in text and "Download PDF" not in text  # no controls
    assert len(rendered[-1].pages) >= 1


def test_it_draws_the_history_as_svg_not_canvas(client, brm, scored):
    unit_a, _ = scored
    client.force_login(brm)
    # The HTML the PDF is made from (rendered with the same context and flags).
    from brm.health import views

    html = render_to_string(
        "brm/unit_health.html",
        {**views._unit_health_context(_request(brm), unit_a), **views.PDF_WITHOUT_CONTROLS},
    )
    assert "<canvas" not in html and "<script" not in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart" role="img"' in html
    assert "Relationship score, perception and delivery over time" in html


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_it_gives_a_leader_their_own_units_pdf_without_its_notes(client, leader, scored, rendered):
    unit_a, unit_b = scored
    client.force_login(leader)
    _pdf(client, f"/units/{unit_a.pk}/health/?format=pdf")
    text = pdf.document_text(rendered[-1])
    assert "Your relationship with IT" in text
    assert "3 of 4 service periods met their SLA (75%)" in text
    assert "Meeting sentiment" not in text
    assert "Lee Leader" not in text  # their own contact frequency is IT's analysis
    assert client.get(f"/units/{unit_b.pk}/health/?format=pdf").status_code == 404


@pytest.mark.parametrize("who", ["leader_b", "no_role_user"])
def test_it_refuses_a_units_pdf_to_whoever_may_not_see_its_page(client, who, scored, request):
    unit_a, _ = scored
    client.force_login(request.getfixturevalue(who))
    page = client.get(f"/units/{unit_a.pk}/health/").status_code
    assert page in (403, 404)
    assert client.get(f"/units/{unit_a.pk}/health/?format=pdf").status_code == page


def test_it_requires_login_for_the_pdfs(client, unit_a):
    for url in (f"/units/{unit_a.pk}/health/?format=pdf", "/reports/evidence/?format=pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_it_links_both_pages_to_their_pdf(client, executive, scored):
    unit_a, _ = scored
    client.force_login(executive)
    assert (
        'href="?format=pdf" download' in client.get(f"/units/{unit_a.pk}/health/").content.decode()
    )
    evidence = client.get("/reports/evidence/").content.decode()
    assert "&format=pdf" in evidence and "Download PDF" in evidence


def test_it_prints_a_units_health_in_the_same_queries_whatever_its_history(
    client, brm, unit_a, django_assert_num_queries
):
    metrics(unit_a, met=2, missed=0, now=timezone.now())
    recompute_health(propose=False)
    client.force_login(brm)
    url = f"/units/{unit_a.pk}/health/?format=pdf"
    client.get(url)  # warm the session and settings rows
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for days in range(1, 9):
        recompute_health(timezone.now() - timedelta(days=days), propose=False)
    # session, user, groups, unit, history, plan, maturity, health settings, comments...
    with django_assert_num_queries(len(short.captured_queries)):
        _pdf(client, url)


def test_it_prints_the_evidence_report_with_its_figures(client, executive, unit_a, rendered):
    ComplaintFactory.create(unit=unit_a, escalation_level=1)
    ComplaintFactory.create(unit=unit_a, status="closed", closed_at=timezone.now())
    metrics(unit_a, met=3, missed=1, now=timezone.now())
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    end = timezone.localdate().isoformat()
    client.force_login(executive)
    response = _pdf(client, f"/reports/evidence/?start={start}&end={end}&format=pdf")
    assert f"iso20000-evidence-{start}-{end}.pdf" in response["Content-Disposition"]
    text = pdf.document_text(rendered[-1])
    assert "ISO/IEC 20000 evidence" in text and "Finance" in text
    assert "75.0" in text  # SLA met %
    assert "Complaints escalated" in text


def test_it_refuses_the_evidence_pdf_to_the_business_side(client, leader, no_role_user):
    for user in (leader, no_role_user):
        client.force_login(user)
        assert client.get("/reports/evidence/?format=pdf").status_code == 404


def test_it_prints_the_evidence_in_the_same_queries_at_any_size(
    client, executive, django_assert_num_queries
):
    BusinessUnitFactory.create_batch(2)
    client.force_login(executive)
    client.get("/reports/evidence/?format=pdf")
    with CaptureQueriesContext(connection) as small:
        client.get("/reports/evidence/?format=pdf")
    BusinessUnitFactory.create_batch(8)
    # session, user, groups, units, reviews, surveys, people, complaints, SLA periods.
    with django_assert_num_queries(len(small.captured_queries)):
        _pdf(client, "/reports/evidence/?format=pdf")
