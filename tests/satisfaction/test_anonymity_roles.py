"""The anonymity minimum holds across roles and readers: every reader (results page, API detail
and list, health facts that the unit page and the digest show) gets its survey figures through
satisfaction.selectors (`protect`, and `_protect_services` for per-service ratings), for every
role (CIO, BRM, admin, the leaders of each unit).

The attack: put together everything any role can see, then subtract. For each measure, a figure
shown over a set of units minus a figure shown over a smaller set (total minus a unit, a
service's all-units rating minus a leader's own-unit rating) must leave nothing or at least the
minimum of answers; no shown figure or distribution rests on fewer answers than the minimum; and
the hidden unit's single answer (CSAT 1, NPS 0, service rating 1) is never readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations
from typing import Any

import pytest
from django.utils import timezone

from brm.health.engine import recompute_health
from brm.health.models import HealthSnapshot
from satisfaction import selectors
from satisfaction.models import CampaignStatus, SatisfactionSettings
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

K = 5


@pytest.fixture(autouse=True)
def min_group_of_five(db: Any) -> None:
    SatisfactionSettings.objects.update_or_create(pk=1, defaults={"anonymity_min_group": K})


@dataclass(frozen=True)
class Fact:
    """One figure a reader showed: a measure over a set of units, resting on `n` answers."""

    reader: str
    measure: str  # "csat", "nps" or "service:<id>"
    units: frozenset[int]
    n: int
    value: Any


@pytest.fixture
def example(make_campaign, add_response, unit_a, unit_b):
    """The issue's example, closed: Finance (unit A) 5 answers, Operations (unit B) 1 answer,
    both rating the ERP service; the single answer is CSAT 1, NPS 0, ERP 1."""
    erp = ServiceFactory.create(name="ERP")
    now = timezone.now()
    campaign = make_campaign(
        [unit_a, unit_b],
        status=CampaignStatus.CLOSED,
        anonymous=True,
        opened_at=now - timedelta(days=20),
        closed_at=now - timedelta(minutes=5),
    )
    for _ in range(5):
        add_response(campaign, unit_a, csat=5, nps=10, services={erp: 5})
    add_response(campaign, unit_b, csat=1, nps=0, services={erp: 1})
    return campaign, erp


def _scope(role_units: frozenset[int] | None, all_units: frozenset[int]) -> frozenset[int]:
    return role_units if role_units is not None else all_units


def _facts_from_dicts(
    reader: str,
    overall: dict[str, Any],
    by_unit: list[dict[str, Any]],
    by_service: list[dict[str, Any]],
    distribution: dict[str, list[dict[str, int]]],
    scope: frozenset[int],
) -> list[Fact]:
    out: list[Fact] = []
    for measure, count_key in (("csat", "csat_answers"), ("nps", "nps_answers")):
        if not overall.get("suppressed") and overall.get(measure) is not None:
            out.append(Fact(reader, measure, scope, overall[count_key], overall[measure]))
        for row in by_unit:
            if not row["suppressed"] and row.get(measure) is not None:
                units = frozenset({row["key"]})
                out.append(Fact(reader, measure, units, row[count_key], row[measure]))
        dist = distribution.get(measure) or []
        if dist:
            out.append(Fact(reader, measure, scope, sum(d["count"] for d in dist), dist))
    for row in by_service:
        if not row["suppressed"] and row.get("csat") is not None:
            out.append(
                Fact(reader, f"service:{row['key']}", scope, row["csat_answers"], row["csat"])
            )
    return out


def _api_facts(as_user, user, campaign, scope) -> list[Fact]:
    client = as_user(user)
    body = client.get(f"/api/v1/survey-results/{campaign.pk}/").json()
    facts = _facts_from_dicts(
        "api detail",
        body["overall"],
        body["by_unit"],
        body["by_service"],
        body["distribution"],
        scope,
    )
    listing = client.get("/api/v1/survey-results/?page_size=50").json()["results"]
    [row] = [r for r in listing if r["campaign"] == campaign.pk]
    facts += _facts_from_dicts("api list", row, [], [], {}, scope)
    return facts


def _page_facts(client, user, campaign, scope) -> list[Fact]:
    client.force_login(user)
    response = client.get(f"/surveys/{campaign.pk}/results/")
    assert response.status_code == 200
    res = response.context["res"].as_dict()
    by_unit = [] if response.context["leader_view"] else res["by_unit"]
    facts = _facts_from_dicts(
        "results page", res["overall"], by_unit, res["by_service"], res["distribution"], scope
    )
    for row in response.context["trend"]:
        facts += _facts_from_dicts("results trend", row, [], [], {}, scope)
    assert response.context["res"].comments == []
    client.logout()
    return facts


def _health_facts(unit_ids: list[int]) -> list[Fact]:
    now = timezone.now()
    rows = selectors.perception_by_unit(now - timedelta(days=90), now + timedelta(minutes=1))
    facts = []
    for unit_id in unit_ids:
        row = rows.get(unit_id)
        if row is None:
            continue
        units = frozenset({unit_id})
        if row["csat"] is not None:
            facts.append(Fact("health", "csat", units, row["csat_answers"], row["csat"]))
        if row["nps"] is not None:
            facts.append(Fact("health", "nps", units, row["nps_answers"], row["nps"]))
    return facts


def assert_nothing_derivable(facts: list[Fact]) -> None:
    """No shown figure rests on fewer than K answers, and no two figures of one measure over
    nested sets of units differ by fewer than K answers (their difference is a hidden group)."""
    for fact in facts:
        assert fact.n >= K, fact
    for a, b in combinations(facts, 2):
        if a.measure != b.measure:
            continue
        small, big = (a, b) if len(a.units) <= len(b.units) else (b, a)
        if small.units < big.units:
            left = big.n - small.n
            assert left == 0 or left >= K, (small, big)


ROLES = ["executive", "brm", "admin_user", "leader", "leader_b"]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_sees_a_figure_that_gives_the_single_answer_away(
    request, role, example, as_user, client, unit_a, unit_b
):
    campaign, _erp = example
    user = request.getfixturevalue(role)
    all_units = frozenset({unit_a.pk, unit_b.pk})
    own = {"leader": frozenset({unit_a.pk}), "leader_b": frozenset({unit_b.pk})}.get(role)
    scope = _scope(own, all_units)
    facts = _api_facts(as_user, user, campaign, scope)
    facts += _page_facts(client, user, campaign, scope)
    facts += _health_facts(sorted(scope))
    assert_nothing_derivable(facts)
    # Nothing shown over Operations alone: its one answer cannot be read.
    assert not [f for f in facts if f.units == frozenset({unit_b.pk})]


def test_all_roles_together_cannot_subtract_their_way_to_the_hidden_answer(
    request, example, as_user, client, unit_a, unit_b
):
    campaign, erp = example
    all_units = frozenset({unit_a.pk, unit_b.pk})
    facts: list[Fact] = []
    for role in ROLES:
        user = request.getfixturevalue(role)
        own = {"leader": frozenset({unit_a.pk}), "leader_b": frozenset({unit_b.pk})}.get(role)
        scope = _scope(own, all_units)
        facts += _api_facts(as_user, user, campaign, scope)
        facts += _page_facts(client, user, campaign, scope)
    facts += _health_facts([unit_a.pk, unit_b.pk])
    assert_nothing_derivable(facts)
    # The CIO still sees the all-units ERP rating (6 answers); the leader of Finance, whose
    # 5 ratings with it would give Operations' single 1 away, does not see Finance's alone.
    erp_facts = [f for f in facts if f.measure == f"service:{erp.pk}"]
    assert {f.units for f in erp_facts} == {all_units}
    assert {f.n for f in erp_facts} == {6}


def test_a_leaders_service_rating_is_shown_when_the_rest_is_big_enough(
    make_campaign, add_response, unit_a, unit_b, leader, as_user
):
    erp = ServiceFactory.create(name="ERP")
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN, anonymous=True)
    for _ in range(5):
        add_response(campaign, unit_a, csat=4, services={erp: 4})
    for _ in range(5):
        add_response(campaign, unit_b, csat=2, services={erp: 2})
    body = as_user(leader).get(f"/api/v1/survey-results/{campaign.pk}/").json()
    [row] = body["by_service"]
    assert row["csat"] == 4.0 and row["csat_answers"] == 5
    whole = selectors.results(campaign).as_dict()["by_service"]
    assert [(r["csat"], r["csat_answers"]) for r in whole] == [(3.0, 10)]


def test_health_snapshots_behind_the_unit_page_and_digest_hide_the_single_answer(
    example, unit_a, unit_b
):
    recompute_health(timezone.now(), propose=False)
    snapshot = HealthSnapshot.objects.get(unit=unit_b)
    text = str(snapshot.components) + snapshot.watermelon_reason
    assert "CSAT 1.0" not in text and "1 survey response" not in text
    assert snapshot.perception is None or "survey" not in str(snapshot.components).lower()
