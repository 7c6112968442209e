"""The ranked table numbers its rows 1..N from one rule, whatever the overrides (issue 15).

Before, a demand placed at 1 by hand and the demand the score put first both read "1", and a
demand placed at 20 on a 17-row list read 20 (17, then 20).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from brm.core.badges import STATUS_TONES
from tests.factories import DemandFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(unit_a):
    """Five scored demands (score 5..1), one placed at 1 by hand, one placed at 20 by hand."""
    demands = [
        DemandFactory.create(
            unit=unit_a, status="assessing", title=f"Scored {n}", priority_score=Decimal(n)
        )
        for n in range(5, 0, -1)
    ]
    for demand, position in ((demands[4], 1), (demands[2], 20)):
        demand.rank_override = position
        demand.override_reason = "Regulator deadline"
        demand.save()
    return demands


def _positions(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="demand-\d+">\s*<td>(\d+)', html)]


def test_it_numbers_the_ranked_table_one_to_n(client, brm, board):
    client.force_login(brm)
    html = client.get("/demands/").content.decode()
    assert _positions(html) == [1, 2, 3, 4, 5]
    assert html.index("Scored 1") < html.index("Scored 5")  # placed at 1 by hand goes first
    assert "asked for position 20" in html


def test_it_continues_the_numbers_on_the_next_page(client, brm, board):
    client.force_login(brm)
    assert _positions(client.get("/demands/?page_size=2&page=2").content.decode()) == [3, 4]


def test_the_csv_gives_the_same_positions_as_the_page(client, brm, board):
    client.force_login(brm)
    response = client.get("/demands/export.csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    html = client.get("/demands/").content.decode()
    titles_in_page = re.findall(r"Scored \d", html)
    assert [r[2] for r in rows[1:]] == list(dict.fromkeys(titles_in_page))


@pytest.mark.parametrize("query", ["?status=assessing", "?ordering=-priority_score", "?q=Scored"])
def test_the_csv_lists_what_the_filtered_page_lists_in_its_order(client, brm, board, query):
    # The page and its CSV read one filter over the same rows (the ranking as fixed SQL).
    DemandFactory.create(unit=board[0].unit, status="idea", title="Scored 9", priority_score=9)
    client.force_login(brm)
    body = b"".join(client.get(f"/demands/export.csv{query}").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    html = client.get(f"/demands/{query}").content.decode()
    titles_in_page = list(dict.fromkeys(re.findall(r"Scored \d", html)))
    assert [r[2] for r in rows[1:]] == titles_in_page
    assert titles_in_page  # the filter leaves rows to compare


@pytest.mark.parametrize(
    "status",
    ["idea", "assessing", "approved", "in_delivery", "delivered", "benefits_realised"]
    + ["rejected", "withdrawn"],
)
def test_every_status_shows_in_a_readable_badge(client, brm, unit_a, status):
    DemandFactory.create(unit=unit_a, status=status, title="Shown")
    client.force_login(brm)
    html = client.get(f"/demands/?status={status}").content.decode()
    tone = STATUS_TONES["portfolio.demand.status"][status]
    assert re.search(rf'<span class="badge tone-{tone}">[^<]+</span>', html)
