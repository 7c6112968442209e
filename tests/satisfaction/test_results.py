"""CSAT, NPS, anonymity and perception, against hand-computed values; constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from satisfaction import selectors
from satisfaction.models import Campaign, CampaignStatus, SatisfactionSettings
from tests.factories import BusinessUnitFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_it_computes_csat_and_nps_by_hand(make_campaign, add_response, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    # CSAT 5,4,4,2,1 -> 16/5 = 3.2. NPS 10,9 promoters; 8,7 passives; 6,0 detractors.
    for csat, nps in [(5, 10), (4, 9), (4, 8), (2, 7), (1, 6)]:
        add_response(campaign, unit_a, csat=csat, nps=nps)
    add_response(campaign, unit_a, nps=0)
    res = selectors.results(campaign)
    assert res.overall.csat_mean == pytest.approx(3.2)
    assert (res.overall.promoters, res.overall.passives, res.overall.detractors) == (2, 2, 2)
    # (2 - 2) / 6 = 0
    assert res.overall.nps == 0.0
    assert res.overall.responses == 6


def test_it_computes_a_negative_nps(make_campaign, add_response, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    for nps in [10, 3, 5, 6]:  # 1 promoter, 3 detractors of 4 -> 25 - 75 = -50
        add_response(campaign, unit_a, nps=nps)
    assert selectors.results(campaign).overall.nps == -50.0


def test_it_groups_by_unit_and_service(make_campaign, add_response, unit_a, unit_b):
    erp = ServiceFactory.create(name="ERP")
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN)
    add_response(campaign, unit_a, csat=5, services={erp: 4})
    add_response(campaign, unit_a, csat=3, services={erp: 2})
    add_response(campaign, unit_b, csat=1)
    res = selectors.results(campaign)
    units = {f.label: f.csat_mean for f in res.by_unit}
    assert units == {"Finance": 4.0, "Operations": 1.0}
    assert [(f.label, f.csat_mean, f.csat_n) for f in res.by_service] == [("ERP", 3.0, 2)]
    assert res.distribution["csat"][0] == {"score": 1, "count": 1}


def test_it_hides_small_groups_in_anonymous_campaigns(make_campaign, add_response, unit_a, unit_b):
    SatisfactionSettings.objects.update_or_create(pk=1, defaults={"anonymity_min_group": 3})
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for score in (4, 5, 3):
        add_response(campaign, unit_a, csat=score, text="secret")
    add_response(campaign, unit_b, csat=1)
    res = selectors.results(campaign)
    by = {f.label: f for f in res.by_unit}
    assert by["Operations"].suppressed and by["Operations"].csat_mean is None
    # Complementary suppression: with Finance shown, the total minus Finance would be
    # Operations' single answer, so Finance is hidden too and only the total (4 answers) shows.
    assert by["Finance"].suppressed and by["Finance"].csat_mean is None
    assert res.overall.csat_mean == 3.25
    assert res.comments == []
    assert all("csat" not in row for row in res.as_dict()["by_unit"])


def test_it_hides_everything_below_the_minimum(make_campaign, add_response, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=True)
    add_response(campaign, unit_a, csat=1)
    res = selectors.results(campaign)
    assert res.overall.suppressed and res.distribution == {"csat": [], "nps": []}


def test_it_shows_small_groups_of_named_campaigns_with_comments(
    make_campaign, add_response, unit_a
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    add_response(campaign, unit_a, csat=2, text="Slow tickets")
    res = selectors.results(campaign)
    assert not res.overall.suppressed
    assert [c["text"] for c in res.comments] == ["Slow tickets"]


def _fill(make_campaign, add_response, n: int):
    units = [BusinessUnitFactory.create() for _ in range(max(1, n // 5))]
    services = [ServiceFactory.create() for _ in range(3)]
    campaign = make_campaign(units, status=CampaignStatus.OPEN)
    for i in range(n):
        add_response(
            campaign,
            units[i % len(units)],
            csat=1 + i % 5,
            nps=i % 11,
            text=f"c{i}",
            services={services[i % 3]: 1 + i % 5},
        )
    return campaign


@pytest.mark.parametrize("n", [5, 50])
def test_it_computes_results_in_constant_queries(
    make_campaign, add_response, n, django_assert_num_queries
):
    campaign = _fill(make_campaign, add_response, n)
    conf = SatisfactionSettings.get()
    # 1 (run, unit) cells (overall and per unit), 2 per service, 3 distribution, 4 comments
    with django_assert_num_queries(4):
        res = selectors.results(campaign, conf=conf)
        assert res.overall.responses == n


@pytest.mark.parametrize("n", [5, 50])
def test_it_renders_the_results_page_in_constant_queries(
    client, brm, make_campaign, add_response, n, django_assert_num_queries
):
    campaign = _fill(make_campaign, add_response, n)
    client.force_login(brm)
    SatisfactionSettings.get()
    # 1 session, 2 user with their role, 3 campaign, 4 settings, 5-9 results (overall, units,
    # services, distribution, comments), 10 runs exist?, 11 trend
    with django_assert_num_queries(11):
        response = client.get(f"/surveys/{campaign.pk}/results/")
    assert response.status_code == 200


def test_it_reports_perception_per_unit_in_one_query(
    make_campaign, add_response, unit_a, unit_b, django_assert_num_queries
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN)
    old = timezone.now() - timedelta(days=200)
    add_response(campaign, unit_a, csat=5, nps=10, at=old)  # outside the window
    add_response(campaign, unit_a, csat=2, nps=3)
    add_response(campaign, unit_a, csat=3, nps=9)
    add_response(campaign, unit_b, csat=4)
    since, until = timezone.now() - timedelta(days=90), timezone.now() + timedelta(minutes=1)
    with django_assert_num_queries(1):
        rows = selectors.perception_by_unit(since, until)
    a = rows[unit_a.pk]
    assert (a["csat"], a["nps"], a["responses"]) == (2.5, 0.0, 2)
    assert rows[unit_b.pk]["nps"] is None and rows[unit_b.pk]["responses"] == 1


def test_the_results_page_pages_through_every_comment_newest_first(
    client, brm, make_campaign, add_response, unit_a, django_assert_num_queries
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    start = timezone.now() - timedelta(days=1)
    for i in range(selectors.COMMENTS_PER_PAGE + 5):
        add_response(
            campaign, unit_a, csat=4, text=f"comment {i:02d}", at=start + timedelta(minutes=i)
        )
    client.force_login(brm)
    url = f"/surveys/{campaign.pk}/results/"
    SatisfactionSettings.get()
    client.get(url)

    seen: list[str] = []
    page = client.get(url)
    while True:
        res = page.context["res"]
        seen += [c["text"] for c in res.comments]
        if not res.older_comments:
            break
        assert "Older comments" in page.content.decode()
        with django_assert_num_queries(11):  # the same as the first page: no COUNT for paging
            page = client.get(url, {"comments": page.context["older_comments_from"]})
        assert "Newer comments" in page.content.decode()
    newest_first = [f"comment {i:02d}" for i in reversed(range(selectors.COMMENTS_PER_PAGE + 5))]
    assert seen == newest_first  # every comment once, none lost to a cap

    # A malformed or absurd offset shows the newest page or an honest empty one, never a 500.
    assert client.get(url, {"comments": "x"}).context["res"].comments[0]["text"] == newest_first[0]
    far = client.get(url, {"comments": 10**9})
    assert far.status_code == 200 and "No older comments" in far.content.decode()


# --- The trend reads a named run as one cell (issue 14) ---------------------------------------


def test_the_trend_of_a_named_run_is_its_whole_whatever_the_units(
    make_campaign, add_response, unit_a, unit_b, django_assert_num_queries
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN)
    for unit, csat, nps in ((unit_a, 5, 10), (unit_a, 4, 9), (unit_b, 2, 3)):
        add_response(campaign, unit, csat=csat, nps=nps)
    runs = Campaign.objects.filter(pk=campaign.pk)

    with django_assert_num_queries(2):  # the runs and their series, the cells
        (row,) = selectors.trend(runs, hide_below=5)

    assert (row["responses"], row["csat"], row["csat_answers"]) == (3, 3.67, 3)
    assert (row["promoters"], row["detractors"], row["nps"]) == (2, 1, 33.3)
    # A leader's own unit is still its own cell.
    (own,) = selectors.trend(runs, unit_ids=[unit_b.pk], hide_below=5)
    assert (own["responses"], own["csat"], own["detractors"]) == (1, 2.0, 1)


# --- The trend by ids is compiled once and replayed (issue 14) ---------------------------------


@pytest.mark.usefixtures("nothing_kept")
@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("units", ["all", "own", "none"])
def test_the_trend_by_ids_is_the_trend_by_queryset_before_and_after_new_answers(
    make_campaign, add_response, unit_a, unit_b, anonymous, units, django_assert_num_queries
):
    """The API's list passes the page's ids: its two queries are replayed with new ids
    (`brm.core.statements`, checked against the ORM's SQL under the tests). Every shape (named
    or anonymous series, a leader's own unit or none, a run with no answers) gives what the
    queryset form gives, and a replay reads answers added after it was learned."""
    now = timezone.now()
    parent = make_campaign([unit_a, unit_b], status=CampaignStatus.CLOSED, anonymous=anonymous)
    run1 = make_campaign(
        [unit_a, unit_b],
        status=CampaignStatus.CLOSED,
        anonymous=anonymous,
        parent=parent,
        opened_at=now - timedelta(days=60),
    )
    run2 = make_campaign(
        [unit_a, unit_b],
        status=CampaignStatus.OPEN,
        anonymous=anonymous,
        parent=parent,
        opened_at=now - timedelta(days=1),
    )
    silent = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=anonymous)
    unit_ids = {"all": None, "own": [unit_b.pk], "none": []}[units]
    for _ in range(5):
        add_response(run1, unit_a, csat=5, nps=10)
    add_response(run1, unit_b, csat=2, nps=4)
    add_response(run2, unit_a, csat=3, nps=8)

    def both() -> tuple[list[dict], list[dict]]:
        ids = [run2.pk, run1.pk, silent.pk]
        by_ids = selectors.trend(ids, unit_ids=unit_ids, hide_below=5)
        by_queryset = selectors.trend(
            Campaign.objects.filter(pk__in=ids), unit_ids=unit_ids, hide_below=5
        )
        return by_ids, by_queryset

    first, expected = both()
    assert first == expected
    assert [r["key"] for r in first] == [run1.pk, run2.pk]  # oldest first; none for no answers
    for _ in range(5):
        add_response(run2, unit_b, csat=1, nps=0)
    with django_assert_num_queries(2):  # replayed: the runs, the cells
        selectors.trend([run2.pk, run1.pk, silent.pk], unit_ids=unit_ids, hide_below=5)
    again, expected_again = both()
    assert again == expected_again
    if not anonymous and units != "none":  # anonymous runs may stay hidden; no unit sees none
        assert again != first
    assert selectors.trend([], unit_ids=unit_ids) == []
