"""The anonymity minimum cannot be bypassed: primary and complementary suppression everywhere.

Every reader (results page, API, health perception) goes through `satisfaction.selectors.
protect`. Besides "no shown group is smaller than the minimum", each test checks the
subtraction attack: the shown total minus every shown group must never leave fewer than the
minimum answers of a measure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from brm.health.engine import recompute_health
from satisfaction import selectors
from satisfaction.models import CampaignStatus, SatisfactionSettings
from tests.factories import BusinessUnitFactory, ServiceFactory

pytestmark = pytest.mark.django_db

K = 5


@pytest.fixture(autouse=True)
def min_group_of_five(db: Any) -> None:
    SatisfactionSettings.objects.update_or_create(pk=1, defaults={"anonymity_min_group": K})


def assert_nothing_derivable(overall: dict[str, Any], groups: list[dict[str, Any]]) -> None:
    """Shown total minus shown groups leaves either nothing or at least K answers, per measure;
    no shown group rests on fewer than K answers."""
    for measure, count_key in (("csat", "csat_answers"), ("nps", "nps_answers")):
        for g in groups:
            if not g["suppressed"] and g[measure] is not None:
                assert g[count_key] >= K, g
        if overall["suppressed"] or overall[measure] is None:
            continue
        shown = sum(g[count_key] for g in groups if not g["suppressed"] and g[measure] is not None)
        left = overall[count_key] - shown
        assert left == 0 or left >= K, (measure, overall, groups)


def _unit(name: str) -> Any:
    return BusinessUnitFactory.create(name=name)


def test_the_issue_example_hides_both_units_so_the_small_one_cannot_be_subtracted(
    make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for score in (5, 5, 4, 4, 5):
        add_response(campaign, unit_a, csat=score, nps=9)
    add_response(campaign, unit_b, csat=1, nps=0)

    res = selectors.results(campaign).as_dict()

    by = {g["label"]: g for g in res["by_unit"]}
    assert by["Operations"] == {"key": unit_b.pk, "label": "Operations", "suppressed": True}
    # On the old code Finance showed CSAT 4.6 from 5 and the total 4.0 from 6: 6*4.0-5*4.6 = 1.
    assert by["Finance"]["suppressed"]
    assert res["overall"]["csat"] == 4.0 and res["overall"]["responses"] == 6
    assert_nothing_derivable(res["overall"], res["by_unit"])


def test_a_leader_of_either_unit_sees_no_figure_that_undoes_the_suppression(
    make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=5, nps=10)
    add_response(campaign, unit_b, csat=1, nps=0)
    for unit in (unit_a, unit_b):
        res = selectors.results(campaign, unit_ids=[unit.pk])
        assert res.overall.suppressed
        assert res.distribution == {"csat": [], "nps": []}


def test_three_or_more_units_with_two_small_ones(make_campaign, add_response, unit_a, unit_b):
    unit_c, unit_d = _unit("Sales"), _unit("Legal")
    campaign = make_campaign(
        [unit_a, unit_b, unit_c, unit_d], status=CampaignStatus.OPEN, anonymous=True
    )
    sizes = {unit_a: 6, unit_b: 2, unit_c: 2, unit_d: 7}
    for unit, n in sizes.items():
        for i in range(n):
            add_response(campaign, unit, csat=1 + i % 5, nps=i % 11)

    res = selectors.results(campaign).as_dict()

    by = {g["label"]: g for g in res["by_unit"]}
    # The two small ones (2 + 2 = 4 < 5) need a third hidden: the smallest shown (Finance, 6).
    assert by["Operations"]["suppressed"] and by["Sales"]["suppressed"]
    assert by["Finance"]["suppressed"]
    assert not by["Legal"]["suppressed"] and by["Legal"]["csat_answers"] == 7
    assert_nothing_derivable(res["overall"], res["by_unit"])


def test_one_big_and_two_single_answers(make_campaign, add_response, unit_a, unit_b):
    unit_c = _unit("Sales")
    campaign = make_campaign([unit_a, unit_b, unit_c], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(10):
        add_response(campaign, unit_a, csat=4)
    add_response(campaign, unit_b, csat=1)
    add_response(campaign, unit_c, csat=2)
    res = selectors.results(campaign).as_dict()
    assert all(g["suppressed"] for g in res["by_unit"])
    assert res["overall"]["csat_answers"] == 12
    assert_nothing_derivable(res["overall"], res["by_unit"])


def test_a_measure_answered_by_too_few_is_hidden_with_its_distribution(
    make_campaign, add_response, unit_a
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=4)
    add_response(campaign, unit_a, csat=4, nps=0)  # the only NPS answer
    res = selectors.results(campaign)
    assert res.overall.csat_mean == 4.0
    assert res.overall.nps is None and res.as_dict()["overall"]["detractors"] is None
    assert res.distribution["nps"] == [] and len(res.distribution["csat"]) == 5


def test_per_service_ratings_of_too_few_are_hidden(make_campaign, add_response, unit_a, unit_b):
    erp, crm = ServiceFactory.create(name="ERP"), ServiceFactory.create(name="CRM")
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=4, services={erp: 4})
    add_response(campaign, unit_b, csat=2, services={crm: 1})
    res = selectors.results(campaign).as_dict()
    by = {g["label"]: g for g in res["by_service"]}
    assert by["CRM"] == {"key": crm.pk, "label": "CRM", "suppressed": True}
    assert by["ERP"]["csat"] == 4.0


def test_comments_of_anonymous_campaigns_are_never_returned(
    make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(6):
        add_response(campaign, unit_a, csat=4, text="Slow tickets")
    assert selectors.results(campaign).comments == []
    assert selectors.survey_comments(unit_a.pk, timezone.now() - timedelta(days=1)) == []


def test_comments_of_named_campaigns_reach_it_on_the_unit_health_page(
    client, brm, leader, make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=False)
    add_response(campaign, unit_a, csat=4, text="Slow <b>tickets</b>")
    add_response(campaign, unit_b, csat=2, text="Other unit")
    rows = selectors.survey_comments(unit_a.pk, timezone.now() - timedelta(days=1))
    assert [(r["text"], r["response__campaign_id"]) for r in rows] == [
        ("Slow <b>tickets</b>", campaign.pk)
    ]
    # Asked again later (the statement replayed): none submitted since then.
    assert selectors.survey_comments(unit_a.pk, timezone.now() + timedelta(days=1)) == []
    recompute_health(propose=False)  # the page shows its sections once there is a snapshot
    client.force_login(brm)
    html = client.get(f"/units/{unit_a.pk}/health/").content.decode()
    results = reverse("satisfaction:campaign_results", args=[campaign.pk])
    assert "Slow &lt;b&gt;tickets&lt;/b&gt;" in html and f'href="{results}"' in html
    assert escape(campaign.name) in html and "Other unit" not in html
    client.force_login(leader)  # the business does not read IT's working view
    assert "Slow &lt;b&gt;" not in client.get(f"/units/{unit_a.pk}/health/").content.decode()


def test_the_results_page_and_api_show_neither_unit_of_the_example(
    client, as_user, executive, make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=5, nps=10)
    add_response(campaign, unit_b, csat=1, nps=0)

    body = as_user(executive).get(f"/api/v1/survey-results/{campaign.pk}/").json()
    assert all(row["suppressed"] for row in body["by_unit"])
    assert_nothing_derivable(body["overall"], body["by_unit"])

    client.force_login(executive)
    page = client.get(f"/surveys/{campaign.pk}/results/").content.decode()
    assert "5.00" not in page  # Finance's CSAT, which with the total gave Operations' 1
    assert "Fewer than 5 responses" in page


def test_runs_of_a_series_are_protected_against_the_series_total(
    as_user, executive, make_campaign, add_response, unit_a
):
    parent = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=True, name="Series")
    now = timezone.now()
    run1 = make_campaign(
        [unit_a],
        status=CampaignStatus.CLOSED,
        anonymous=True,
        parent=parent,
        name="Run 1",
        opened_at=now - timedelta(days=60),
    )
    run2 = make_campaign(
        [unit_a],
        status=CampaignStatus.OPEN,
        anonymous=True,
        parent=parent,
        name="Run 2",
        opened_at=now - timedelta(days=1),
    )
    for _ in range(5):
        add_response(run1, unit_a, csat=5)
    add_response(run2, unit_a, csat=1)

    series = selectors.results(parent).as_dict()
    assert series["overall"]["csat_answers"] == 6 and series["overall"]["csat"] is not None
    listing = as_user(executive).get("/api/v1/survey-results/?page_size=50").json()["results"]
    runs = [r for r in listing if r["campaign"] in (run1.pk, run2.pk)]
    assert runs and all(r["suppressed"] for r in runs)  # run 1 shown would give run 2 away
    rows = selectors.trend(parent.runs.all(), hide_below=K)
    assert all(r["suppressed"] for r in rows)


def test_health_perception_never_rests_on_a_hidden_group(
    make_campaign, add_response, unit_a, unit_b
):
    now = timezone.now()
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=5, nps=10)
    add_response(campaign, unit_b, csat=1, nps=0)
    since, until = now - timedelta(days=90), now + timedelta(minutes=1)
    # Open: anonymous answers wait for the run to close (no day-by-day differences).
    assert selectors.perception_by_unit(since, until) == {}
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED, now
    campaign.save()
    # On the old code: unit_b "CSAT 1.0, NPS -100 from 1 survey response".
    assert selectors.perception_by_unit(since, until) == {}


def test_health_perception_counts_a_shown_anonymous_group(
    make_campaign, add_response, unit_a, unit_b
):
    now = timezone.now()
    campaign = make_campaign(
        [unit_a, unit_b], status=CampaignStatus.CLOSED, anonymous=True, closed_at=now
    )
    for _ in range(5):
        add_response(campaign, unit_a, csat=4, nps=10)
    for _ in range(6):
        add_response(campaign, unit_b, csat=2, nps=0)
    rows = selectors.perception_by_unit(now - timedelta(days=90), now + timedelta(minutes=1))
    assert rows[unit_a.pk]["csat"] == 4.0 and rows[unit_a.pk]["responses"] == 5
    assert rows[unit_b.pk]["nps"] == -100.0 and rows[unit_b.pk]["responses"] == 6


def test_protect_leaves_named_campaigns_alone() -> None:
    one = selectors.Tally(responses=1, csat_sum=1.0, csat_n=1).figures(1, "A")
    total = selectors.Tally(responses=1, csat_sum=1.0, csat_n=1).figures()
    selectors.protect([one], total, 0)
    assert not one.suppressed and one.csat_mean == 1.0
