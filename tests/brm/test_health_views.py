"""Health pages, dashboard, API and jobs: what each role sees, and the queries they cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brm.core.models import OutboundEmail
from brm.core.roles import Role
from brm.health import dashboard, selectors
from brm.health.engine import recompute_health
from brm.health.models import DigestLog, HealthSnapshot, ImprovementPlan, MaturityAssessment
from brm.health.tasks import send_weekly_digest
from tests.brm.health_fixtures import metrics, survey
from tests.factories import (
    BusinessUnitFactory,
    ComplaintFactory,
    InteractionFactory,
    ServiceReviewFactory,
    UserFactory,
)
from tests.mail import refusing_mail

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def watermelon(unit):
    """SLAs all green, survey answers poor."""
    metrics(unit, met=4, missed=0, name=f"Service of {unit.name}", now=timezone.now())
    survey(unit, [(1, 2), (2, 3)], at=timezone.now() - timedelta(days=5))


def happy(unit):
    InteractionFactory.create(
        unit=unit, occurred_at=timezone.now() - timedelta(days=2), sentiment=2
    )


@pytest.fixture
def scored(unit_a, unit_b):
    watermelon(unit_a)
    happy(unit_b)
    recompute_health(propose=False)
    return unit_a, unit_b


# --- Dashboard --------------------------------------------------------------------------------


def test_it_calls_out_watermelons_first_on_the_dashboard(client, executive, scored):
    client.force_login(executive)
    html = client.get("/dashboard/").content.decode()
    section = html.split('id="watermelons"')[1].split("</section>")[0]
    assert "Finance" in section and "Operations" not in section
    assert html.index('id="watermelons"') < html.index('id="heatmap"')


def test_it_filters_the_heat_map_as_a_fragment(client, executive, scored):
    client.force_login(executive)
    response = client.get("/dashboard/?band=green", HTTP_HX_TARGET="heatmap", **HX)
    html = response.content.decode()
    assert "<html" not in html and 'id="heatmap"' in html
    assert "Operations" in html and "Finance" not in html


def test_it_sends_a_leader_from_the_dashboard_to_their_own_health(client, leader, unit_a):
    client.force_login(leader)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url == f"/units/{unit_a.pk}/health/"


def test_it_shows_an_empty_state_before_the_first_recompute(client, executive, unit_a):
    client.force_login(executive)
    assert "No health scores yet" in client.get("/dashboard/").content.decode()


def _snapshots(n: int, brm=None) -> None:
    for _ in range(n):
        unit = BusinessUnitFactory.create(**({"brm": brm} if brm else {}))
        watermelon(unit)
        ComplaintFactory.create(unit=unit, severity="high")
    recompute_health(propose=False)


@pytest.mark.parametrize("role", ["executive", "brm", "admin_user"])
def test_it_renders_the_dashboard_with_the_same_queries_at_any_size(
    client, role, request, django_assert_num_queries
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    mine = user if role == "brm" else None  # a BRM's dashboard shows their own units
    _snapshots(2, mine)
    client.get("/dashboard/")  # warm the session and settings rows
    # session, user (with their groups), the heat map's page with how many units it has and,
    # unfiltered, the band counts and average riding on it (issue 14: not every unit's row), the
    # watermelons and drops shown with their sparkline points (picked inside), complaints (ageing
    # and per month), overdue reviews with their total (the grace days read inside), units due a
    # review with none planned with their total, promises, demand value, plans with their total,
    # BRM choices.
    expected = 11
    with django_assert_num_queries(expected):
        assert client.get("/dashboard/").status_code == 200
    _snapshots(10, mine)
    with django_assert_num_queries(expected):
        response = client.get("/dashboard/")
    assert response.status_code == 200 and "No health scores yet" not in response.content.decode()


def test_it_lists_the_first_watermelons_with_how_many_there_are(client, executive):
    _snapshots(17)
    client.force_login(executive)

    html = client.get("/dashboard/").content.decode()

    section = html.split('id="watermelons"')[1].split("</section>")[0]
    assert section.count("<tr>") == 15 + 1  # the 15 unhappiest and the header row
    assert "see all 17 on the map" in section
    assert html.count('class="heat-tile') == 17  # the heat map still has every unit


def test_it_pages_the_heat_map_worst_first_and_says_how_many_are_shown(
    client, executive, scored, monkeypatch
):
    monkeypatch.setattr(dashboard, "HEAT_SHOWN", 1)  # two units scored: two pages of one
    client.force_login(executive)

    first = client.get("/dashboard/").content.decode()
    second = client.get("/dashboard/?page=2", HTTP_HX_TARGET="heatmap", **HX).content.decode()

    assert first.count('class="heat-tile') == 1 and "Showing 1 of 2 units, worst first." in first
    # The watermelon (Finance, unhappy business) has the lower score: it comes first.
    assert (
        "Finance" in first.split('id="heatmap"')[1]
        and "Operations" not in first.split('id="heatmap"')[1]
    )
    assert "<html" not in second and second.count('class="heat-tile') == 1
    assert "Operations" in second and "Finance" not in second
    assert 'href="?page=1"' in second  # back to the worst


def test_it_shows_the_last_page_of_the_heat_map_for_a_page_past_it(
    client, executive, scored, monkeypatch
):
    monkeypatch.setattr(dashboard, "HEAT_SHOWN", 1)
    client.force_login(executive)
    html = client.get("/dashboard/?page=9", HTTP_HX_TARGET="heatmap", **HX).content.decode()
    assert html.count('class="heat-tile') == 1 and "Operations" in html


@pytest.mark.parametrize("page", ["99999999999999999999999", "1000001"])
def test_a_page_number_too_large_for_the_database_is_the_last_page(
    client, executive, scored, monkeypatch, page
):
    monkeypatch.setattr(dashboard, "HEAT_SHOWN", 1)
    client.force_login(executive)
    response = client.get(f"/dashboard/?page={page}", HTTP_HX_TARGET="heatmap", **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="heat-tile') == 1 and "Operations" in html


def test_it_keeps_the_heat_map_whole_when_it_fits_one_page(client, executive, scored):
    client.force_login(executive)
    html = client.get("/dashboard/").content.decode()
    assert html.count('class="heat-tile') == 2 and "worst first" not in html


def test_it_lets_an_executive_queue_a_recompute_but_not_a_leader(
    client, executive, leader, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    assert client.post("/dashboard/recompute/").status_code == 403
    client.force_login(executive)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/dashboard/recompute/")
    assert response.status_code == 302 and len(callbacks) == 1


def test_it_requires_login_for_health_pages(client, unit_a):
    for url in (
        "/dashboard/",
        f"/units/{unit_a.pk}/health/",
        "/relationships/",
        "/reports/evidence/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


# --- Unit health --------------------------------------------------------------------------------


def test_it_explains_the_score_with_facts_and_no_data(client, brm, scored):
    unit_a, _ = scored
    client.force_login(brm)
    html = client.get(f"/units/{unit_a.pk}/health/").content.decode()
    assert "Watermelon" in html
    assert "4 of 4 service periods met their SLA (100%)" in html
    assert "CSAT 1.5, NPS -100 from 2 survey responses" in html
    assert "No data — left out of the score" in html  # commitments and complaints: none


def test_it_shows_a_leader_their_own_health_only(client, leader, scored):
    unit_a, unit_b = scored
    client.force_login(leader)
    assert "Your relationship with IT" in client.get(f"/units/{unit_a.pk}/health/").content.decode()
    assert client.get(f"/units/{unit_b.pk}/health/").status_code == 404


def test_it_ranks_a_brms_relationships_with_next_actions(client, brm, unit_a):
    calm = BusinessUnitFactory.create(name="Calm", brm=brm)
    happy(calm)
    watermelon(unit_a)
    with_overdue = timezone.now() - timedelta(days=200)
    ServiceReviewFactory.create(
        unit=unit_a, status="held", scheduled_at=with_overdue, held_at=with_overdue
    )
    recompute_health(propose=False)
    client.force_login(brm)
    html = client.get("/relationships/").content.decode()
    assert html.index("Finance") < html.index("Calm")
    assert "Service review" in html and "overdue: hold it" in html


def test_it_pages_a_brms_relationships_most_urgent_first(client, brm, unit_a, monkeypatch):
    monkeypatch.setattr(selectors, "RELATIONSHIPS_SHOWN", 1)
    calm = BusinessUnitFactory.create(name="Calm", brm=brm)
    happy(calm)
    watermelon(unit_a)
    recompute_health(propose=False)
    client.force_login(brm)

    first = client.get("/relationships/").content.decode()
    second = client.get("/relationships/?page=2", **HX).content.decode()

    assert "Finance" in first and "Calm" not in first and "1–1 of 2" in first
    assert "<html" not in second and 'id="relationship-results"' in second
    assert "Calm" in second and "Finance" not in second and "2–2 of 2" in second


def test_it_ranks_a_brms_relationships_with_the_same_queries_at_any_size(
    client, brm, django_assert_num_queries
):
    client.force_login(brm)
    _snapshots(2, brm)
    client.get("/relationships/")  # warm the session and settings rows
    # session, user (with their groups), every unit's ranking columns (the people to meet
    # counted in the database), overdue complaints, overdue IT promises and review schedules of
    # those units, the page's snapshots in full.
    with django_assert_num_queries(7):
        assert client.get("/relationships/").status_code == 200
    _snapshots(10, brm)
    with django_assert_num_queries(7):
        html = client.get("/relationships/").content.decode()
    assert html.count('class="list-group-item"') == 12


def test_it_reads_the_stored_facts_of_the_newest_snapshot_only(client, brm, unit_a):
    metrics(unit_a, met=2, missed=0, now=timezone.now())
    for days in range(5, -1, -1):
        recompute_health(timezone.now() - timedelta(days=days), propose=False)
    client.force_login(brm)
    client.get(f"/units/{unit_a.pk}/health/")  # warm the session and settings rows

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/units/{unit_a.pk}/health/")

    # The chart's points are four columns of each snapshot; only the newest is read in full.
    with_facts = [q["sql"] for q in queries if '"brm_healthsnapshot"."components"' in q["sql"]]
    assert len(with_facts) == 1 and "LIMIT 1" in with_facts[0]
    history, snapshot = response.context["history"], response.context["snapshot"]
    assert len(history) == 6 and history[-1]["d"] == snapshot.as_of.isoformat()
    assert [p["d"] for p in history] == sorted(p["d"] for p in history)
    assert snapshot.components


def test_it_records_both_sides_maturity_and_the_gap(client, brm, leader, other_brm, unit_a):
    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 4, "comment": "We are close"})
    client.force_login(leader)
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 2})
    client.force_login(other_brm)
    assert client.post(f"/units/{unit_a.pk}/maturity/", {"level": 5}).status_code == 403
    assert list(MaturityAssessment.objects.values_list("side", "level").order_by("side")) == [
        ("business", 2),
        ("it", 4),
    ]
    client.force_login(brm)
    assert (
        "IT rates it 2 levels higher" in client.get(f"/units/{unit_a.pk}/health/").content.decode()
    )


def test_it_rejects_a_maturity_level_outside_the_model(client, brm, unit_a):
    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 7})
    assert not MaturityAssessment.objects.exists()


def test_it_lets_the_brm_run_an_improvement_plan(client, brm, executive, unit_a):
    client.force_login(executive)
    assert client.post(f"/units/{unit_a.pk}/plan/").status_code == 403
    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/plan/", {"reason": "Sponsor unhappy"})
    plan = ImprovementPlan.objects.get(unit=unit_a)
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    client.post(
        f"/plans/{plan.pk}/actions/", {"title": "Weekly call with the CFO", "due_date": due}
    )
    assert plan.actions.get().title == "Weekly call with the CFO"
    client.post(f"/plans/{plan.pk}/close/", {"outcome": "completed"})
    plan.refresh_from_db()
    assert plan.status == "completed"


# --- Evidence report ----------------------------------------------------------------------------


def test_it_reports_iso_evidence_per_unit_as_html_and_csv(client, executive, leader, unit_a):
    held = timezone.now() - timedelta(days=20)
    ServiceReviewFactory.create(unit=unit_a, status="held", scheduled_at=held, held_at=held)
    ServiceReviewFactory.create(unit=unit_a)  # planned, in 10 days: outside the period
    ComplaintFactory.create(unit=unit_a, escalation_level=1)
    ComplaintFactory.create(unit=unit_a, status="closed", closed_at=timezone.now())
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    end = timezone.localdate().isoformat()
    client.force_login(executive)
    csv = client.get(f"/reports/evidence/?start={start}&end={end}&format=csv")
    body = b"".join(csv.streaming_content).decode().lstrip("\ufeff")
    rows = [line.split(",") for line in body.strip().splitlines()]
    finance = next(r for r in rows if r[0] == "Finance")
    header = rows[0]
    assert finance[header.index("Reviews held")] == "1"
    assert finance[header.index("Reviews planned")] == "1"
    assert finance[header.index("Complaints recorded")] == "2"
    assert finance[header.index("Complaints closed")] == "1"
    assert finance[header.index("Complaints escalated")] == "1"
    assert "Finance" in client.get("/reports/evidence/").content.decode()
    client.force_login(leader)
    assert client.get("/reports/evidence/").status_code == 404


# --- API --------------------------------------------------------------------------------------


def test_it_lists_current_health_filtered_by_watermelon(as_user, executive, scored):
    unit_a, _ = scored
    body = as_user(executive).get("/api/v1/health/?watermelon=true").json()
    assert [r["unit"] for r in body["results"]] == [unit_a.pk]
    assert body["results"][0]["components"][0]["key"] == "perception"


def test_it_scopes_the_health_api_to_the_leaders_unit(as_user, leader, scored):
    unit_a, unit_b = scored
    client = as_user(leader)
    assert [r["unit"] for r in client.get("/api/v1/health/").json()["results"]] == [unit_a.pk]
    assert client.get(f"/api/v1/health/{unit_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/health/{unit_b.pk}/history/").status_code == 404


def test_it_returns_a_units_history(as_user, brm, unit_a):
    happy(unit_a)
    recompute_health(timezone.now() - timedelta(days=7), propose=False)
    recompute_health(propose=False)
    response = as_user(brm).get(f"/api/v1/health/{unit_a.pk}/history/")
    assert response.status_code == 200 and len(response.json()) == 2
    assert (
        as_user(brm).get(f"/api/v1/health/{unit_a.pk}/history/?since=yesterday").status_code == 400
    )


def test_it_refuses_the_health_api_without_credentials(api):
    assert api.get("/api/v1/health/").status_code == 401


def test_it_rejects_a_bad_band_filter(as_user, brm):
    assert as_user(brm).get("/api/v1/health/?band=purple").status_code == 400


def test_it_lists_health_with_the_same_queries_at_any_size(as_user, brm, django_assert_num_queries):
    client = as_user(brm)
    _snapshots(2)
    client.get("/api/v1/health/")
    # token (with the user's role, issue 14), COUNT, page of latest snapshots with units
    with django_assert_num_queries(3):
        client.get("/api/v1/health/")
    _snapshots(8)
    with django_assert_num_queries(3):
        client.get("/api/v1/health/")


# --- Jobs -------------------------------------------------------------------------------------


def test_it_sends_the_weekly_digest_once(scored):
    UserFactory.create(username="cio2", email="cio@example.org", role=Role.EXECUTIVE)
    assert send_weekly_digest() is True
    assert send_weekly_digest() is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cio@example.org"]
    assert "Watermelons" in message.body and "Finance" in message.body
    assert DigestLog.objects.get().recipients == 1


def test_it_retries_the_digest_when_sending_failed(scored, settings):
    UserFactory.create(username="cio2", email="cio@example.org", role=Role.EXECUTIVE)
    saved = settings.MAILERS
    refusing_mail(settings)
    assert send_weekly_digest() is False
    log = DigestLog.objects.get()
    assert log.sent_at is None and log.recipients == 0  # never marked sent
    [email] = OutboundEmail.objects.filter(kind="health.digest")
    assert email.state == "pending" and "smtp down" in email.last_error
    assert send_weekly_digest() is False  # the retry waits out its delay
    settings.MAILERS = saved
    OutboundEmail.objects.filter(pk=email.pk).update(retry_after=None)  # the delay is over
    assert send_weekly_digest() is True
    assert send_weekly_digest() is False
    assert len(mail.outbox) == 1
    log.refresh_from_db()
    assert log.sent_at is not None and log.recipients == 1


def test_it_recomputes_through_the_task(unit_a):
    from brm.health.tasks import recompute_health_task

    happy(unit_a)
    assert recompute_health_task() >= 1
    assert HealthSnapshot.objects.filter(unit=unit_a).exists()


def test_it_shows_demand_value_in_flight_on_the_dashboard(client, executive, unit_a, scored):
    from tests.factories import DemandFactory

    DemandFactory.create(unit=unit_a, status="in_delivery", expected_benefit=125000)
    DemandFactory.create(unit=unit_a, status="idea", expected_benefit=999)
    client.force_login(executive)
    html = client.get("/dashboard/").content.decode()
    section = html.split('id="dem-h"')[1].split("</section>")[0]
    assert "€125,000" in section and "999" not in section


def test_it_follows_the_maturity_gap_over_time(client, brm, leader, unit_a):
    from brm.health.maturity import gap_trend

    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 4})
    client.force_login(leader)
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 2})
    client.post(f"/units/{unit_a.pk}/maturity/", {"level": 3})
    trend = gap_trend(list(MaturityAssessment.objects.all()))
    assert [(t.it, t.business, t.gap) for t in trend] == [(4, 2, 2), (4, 3, 1)]
    client.force_login(brm)
    assert "Gap over time" in client.get(f"/units/{unit_a.pk}/health/").content.decode()


def test_it_keeps_the_average_over_every_unit_when_the_heat_map_is_filtered(
    client, executive, scored
):
    client.force_login(executive)
    everything = client.get("/dashboard/").context["d"]
    filtered = client.get("/dashboard/?band=green").context["d"]
    # Unfiltered, the counts ride on the heat map's rows; filtered, they are counted apart.
    assert (filtered.average, filtered.bands, filtered.watermelon_count) == (
        everything.average,
        everything.bands,
        everything.watermelon_count,
    )
    assert everything.bands == {"red": 0, "amber": 1, "green": 1, "none": 0}


def test_it_filters_the_heat_map_to_watermelons(client, executive, scored):
    client.force_login(executive)
    html = client.get(
        "/dashboard/?band=watermelon", HTTP_HX_TARGET="heatmap", **HX
    ).content.decode()
    assert "Finance" in html and "Operations" not in html
