"""Every figure on the CIO dashboard, on My relationships and on the unit page equals the number
of rows of the list it links to.

Each test renders the page as the role that sees it, takes the figure and its link from the
HTML, follows the link with the same client and counts the list's rows (the paginator's count).
The data holds the cases that used to disagree: a promise due today, due yesterday, done late,
dropped, overdue but due long ago, owed by the business; a complaint past its acknowledge
deadline but not its resolve deadline; a planned review past its date within and beyond the
grace days; and another unit's records of each kind.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from brm.health.engine import recompute_health
from brm.health.models import HealthSnapshot
from complaints.models import Complaint
from stakeholders.models import ActionStatus, OwnerSide
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _promise(unit, due_days_ago: int, status: str = ActionStatus.OPEN, **kwargs):
    due = TODAY - timedelta(days=due_days_ago)
    completed = kwargs.pop("completed_days_ago", None)
    return ActionItemFactory.create(
        unit=unit,
        due_date=due,
        status=status,
        completed_at=NOW - timedelta(days=completed) if completed is not None else None,
        **kwargs,
    )


def _complaint(unit, *, status: str, ack_hours: int, resolve_hours: int, **kwargs):
    """A complaint whose deadlines are `ack_hours`/`resolve_hours` from now (negative: passed)."""
    complaint = ComplaintFactory.create(unit=unit, status=status, **kwargs)
    Complaint.objects.filter(pk=complaint.pk).update(
        acknowledge_by=NOW + timedelta(hours=ack_hours),
        resolve_by=NOW + timedelta(hours=resolve_hours),
        created_at=NOW - timedelta(days=3),
    )
    return complaint


@pytest.fixture
def estate(unit_a, unit_b):
    """Unit A (the BRM's) and unit B (another BRM's) with every edge case."""
    for unit in (unit_a, unit_b):
        _promise(unit, 0)  # due today: open, not overdue yet
        _promise(unit, 1)  # due yesterday: overdue
        _promise(unit, 10, ActionStatus.DONE, completed_days_ago=5)  # done late
        _promise(unit, 10, ActionStatus.DONE, completed_days_ago=12)  # kept on time
        _promise(unit, 20, ActionStatus.DROPPED)
        _promise(unit, 100)  # overdue, but due before the dashboard's 90 days
        _promise(unit, -5)  # due next week
        _promise(unit, 3, owner_side=OwnerSide.BUSINESS)  # the business's promise, overdue
        # Past the acknowledge deadline, not the resolve deadline: overdue.
        _complaint(unit, status="received", ack_hours=-2, resolve_hours=40, severity="high")
        # Acknowledged late, resolve deadline still ahead: not overdue.
        _complaint(
            unit,
            status="acknowledged",
            ack_hours=-2,
            resolve_hours=40,
            acknowledged_at=NOW - timedelta(hours=1),
        )
        _complaint(unit, status="investigating", ack_hours=-50, resolve_hours=-1)  # overdue
        _complaint(unit, status="closed", ack_hours=-90, resolve_hours=-80, severity="low")
        ServiceReviewFactory.create(
            unit=unit, scheduled_at=NOW - timedelta(hours=12)
        )  # within grace
        ServiceReviewFactory.create(unit=unit, scheduled_at=NOW - timedelta(days=3))  # overdue
        StakeholderFactory.create(unit=unit)
        StakeholderFactory.create(unit=unit, active=False)
    recompute_health(NOW, propose=False)
    return unit_a, unit_b


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _rows(client: Client, url: str) -> int:
    """The number of rows of the list at `url` (all pages)."""
    response = client.get(html.unescape(url))
    assert response.status_code == 200, url
    count: int = response.context["page"].paginator.count
    return count


def _figure_link(page: str, label: str) -> tuple[str, int]:
    """The link around `label` in a `<dt>` and the figure in the `<dd>` after it."""
    match = re.search(r'<a href="([^"]+)">' + re.escape(label) + r"</a></dt><dd[^>]*>(\d+)", page)
    assert match, f"{label!r} has no link to its list"
    return match.group(1), int(match.group(2))


# --- The CIO dashboard ------------------------------------------------------------------------


def test_it_links_the_reviews_overdue_tile_to_a_list_of_as_many_reviews(client, executive, estate):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    match = re.search(
        r'href="([^"]+)" data-figure="reviews-overdue">.*?fs-3 fw-semibold">(\d+)<', page
    )
    assert match, "the Reviews overdue tile links nowhere"
    url, figure = match.group(1), int(match.group(2))

    assert figure == 2  # one per unit, the review past its grace days
    assert _rows(client, url) == figure


def test_it_names_the_same_units_as_the_overdue_review_list(client, executive, estate):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    section = page[page.index('id="overdue-reviews"') :]
    section = section[: section.index("</section>")]
    listed = client.get("/reviews/?view=overdue&mine=false").context["page"].object_list

    assert len(listed) == 2
    for review in listed:
        assert review.get_absolute_url() in section


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Kept on time", 1),
        ("Kept late", 1),
        ("Dropped", 1),
        ("Still overdue", 1),
        ("Due today, still open", 1),
    ],
)
def test_it_links_each_promise_figure_to_a_list_of_as_many_promises(
    client, executive, estate, label, expected
):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    url, figure = _figure_link(page, label)

    # Unit A's and unit B's IT promises due in the last 90 days, counted once each.
    assert figure == 2 * expected
    assert _rows(client, url) == figure


def test_it_links_the_promises_due_to_a_list_of_as_many_promises(client, executive, estate):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    match = re.search(r'<a class="small" href="([^"]+)">All (\d+)</a>', page)
    assert match

    assert int(match.group(2)) == 10  # five IT promises due in the window, per unit
    assert _rows(client, match.group(1)) == int(match.group(2))


def test_it_links_each_complaint_ageing_row_to_a_list_of_as_many_complaints(
    client, executive, estate
):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    rows = re.findall(
        r'<th scope="row"><a href="([^"]+)">\w+</a></th>((?:<td class="text-end">\d+</td>)+)', page
    )
    assert len(rows) == 4
    for url, cells in rows:
        figure = sum(int(n) for n in re.findall(r"(\d+)</td>", cells))
        assert _rows(client, url) == figure, url


def test_it_links_each_band_tile_to_a_heat_map_of_as_many_units(client, executive, estate):
    client.force_login(executive)
    page = _page(client, "/dashboard/")
    for band in ("red", "amber", "green"):
        match = re.search(
            rf'href="(\?band={band})#heatmap"><div class="small">\w+</div><div[^>]*>(\d+)<', page
        )
        assert match, band
        listed = _page(client, "/dashboard/" + match.group(1))
        assert listed.count(f'class="heat-tile band-{band}') == int(match.group(2)), band


# --- My relationships -------------------------------------------------------------------------


def test_it_links_each_counted_next_action_to_a_list_of_as_many_rows(client, brm, estate):
    client.force_login(brm)
    page = _page(client, "/relationships/")
    actions = re.findall(r'<a href="([^"]+)">(\d+) ([^<]+)</a>', page)
    kinds = {text for _url, _n, text in actions}
    assert {"complaints past the deadline", "IT promises overdue"} <= kinds
    for url, n, _text in actions:
        assert _rows(client, url) == int(n), url


def test_it_counts_the_same_overdue_promises_as_the_unit_page_for_it(client, brm, estate):
    unit_a, _ = estate
    client.force_login(brm)
    page = _page(client, "/relationships/")
    n = int(re.search(r">(\d+) IT promises overdue<", page).group(1))

    # Due yesterday and due 100 days ago; the business's own overdue promise is not IT's.
    assert n == 2
    listed = _rows(client, f"/commitments/?unit={unit_a.pk}&overdue=true&mine=false")
    assert listed == n + 1  # the unit page's figure adds the business's promise


# --- The unit page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "expected"),
    [("stakeholders", 1), ("open-promises", 5), ("overdue-promises", 3)],
)
def test_it_links_each_unit_page_figure_to_a_list_of_as_many_rows(
    client, brm, estate, figure, expected
):
    unit_a, _ = estate
    client.force_login(brm)
    page = _page(client, f"/units/{unit_a.pk}/")
    match = re.search(
        rf'data-figure="{figure}" href="([^"]+)">.*?<div class="fs-4[^"]*">(\d+)</div>', page
    )
    assert match, f"{figure} links nowhere"

    assert int(match.group(2)) == expected
    assert _rows(client, match.group(1)) == expected


@pytest.mark.parametrize("figure", ["open-promises", "overdue-promises"])
def test_it_shows_a_leader_the_same_figures_as_their_lists(client, leader, estate, figure):
    unit_a, _ = estate
    client.force_login(leader)
    page = _page(client, f"/units/{unit_a.pk}/")
    match = re.search(
        rf'data-figure="{figure}" href="([^"]+)">.*?<div class="fs-4[^"]*">(\d+)</div>', page
    )
    assert match

    assert _rows(client, match.group(1)) == int(match.group(2))


# --- The unit health page ---------------------------------------------------------------------


def test_it_links_the_commitments_figure_to_a_list_of_the_promises_it_judged(client, brm, estate):
    unit_a, _ = estate
    client.force_login(brm)
    page = _page(client, reverse("health:unit_health", args=[unit_a.pk]))
    url = re.search(r'<a href="([^"]+)">Promises</a>', page).group(1)
    snapshot = HealthSnapshot.objects.get(unit=unit_a, as_of=TODAY)
    judged = next(c for c in snapshot.components if c["key"] == "commitments")["data"]

    assert judged["due"] == 5  # IT's, due in the window: today, yesterday, late, on time, dropped
    assert _rows(client, url) == judged["due"]
