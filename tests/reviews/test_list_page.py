"""The review list's schedule and banner per role (issue 14): a leader's page reads no
schedule, "Plan review" is offered on the rows the user may plan for (the unit's own rule on the
rows, no query of its own), and the overdue banner counts what each role's list would show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ServiceReviewFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PLAN = "Plan review</a>"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _page(client, user) -> tuple[str, list[str]]:
    client.force_login(user)
    client.get("/reviews/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/reviews/")
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def test_it_reads_no_schedule_for_a_leader(client, leader, unit_a, unit_b):
    page, queries = _page(client, leader)
    assert 'id="unit-schedule"' not in page
    assert not [q for q in queries if "next_planned_at" in q]


@pytest.mark.parametrize(
    ("who", "plans"),
    [("brm", {"Finance"}), ("admin_user", {"Finance", "Operations"}), ("executive", set())],
)
def test_it_offers_plan_review_on_the_units_the_user_may_plan_for(
    request, client, unit_a, unit_b, who, plans
):
    page, _ = _page(client, request.getfixturevalue(who))
    rows = page.split('id="unit-schedule"')[1].split("</table>")[0].split("<tr")[2:]
    shown = {name for name in ("Finance", "Operations") if any(name in r for r in rows)}
    assert shown == ({"Finance"} if who == "brm" else {"Finance", "Operations"})
    assert {n for n in shown for r in rows if n in r and PLAN in r} == plans


def test_it_counts_the_banner_per_role(client, brm, executive, leader, unit_a, unit_b):
    for unit in (unit_a, unit_b, unit_b):
        ServiceReviewFactory.create(unit=unit, scheduled_at=NOW - timedelta(days=3))
    assert "1 review overdue" in _page(client, brm)[0]  # their units, their list's default
    assert "3 reviews overdue" in _page(client, executive)[0]
    assert "1 review overdue" in _page(client, leader)[0]


def test_it_counts_reviews_without_grouping_their_changes_and_commitments(client, brm, unit_a):
    for days in (1, 2, 3):
        ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW + timedelta(days=days))
    page, queries = _page(client, brm)
    counts = [q for q in queries if q.startswith("SELECT COUNT(")]  # the pager's, the banner's
    assert len(counts) == 2
    assert not [q for q in counts if "changerequest" in q or "GROUP BY" in q]
    assert page.count("tone-") >= 3  # the rows still carry their counts and badges


def test_it_joins_no_relationship_manager_to_a_brms_own_schedule(client, brm, unit_a, unit_b):
    page, queries = _page(client, brm)
    (schedule,) = [q for q in queries if "next_planned_at" in q]
    assert "auth_user" not in schedule  # the rows are theirs: no manager is named
    assert "Finance" in page.split('id="unit-schedule"')[1]
