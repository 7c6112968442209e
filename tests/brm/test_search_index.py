"""Global search on its GIN indexes (#15): each kind's query reads its model's search document
through the index (EXPLAIN), the last word matches as a prefix, a meeting or review matches with
its unit's name, and the query count stays one per kind whatever the rows and the text."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from brm.search import KINDS, KINDS_BY_KEY, global_search
from complaints.selectors import search_complaints
from reviews.selectors import search_reviews
from stakeholders.selectors import search_interactions
from tests.factories import (
    BusinessUnitFactory,
    ComplaintFactory,
    DemandFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

INDEX_OF_KIND = {
    "units": "unit_search",
    "people": "stakeholder_search",
    "meetings": "interaction_search",
    "complaints": "complaint_search",
    "demands": "demand_search",
    "reviews": "review_search",
}


@pytest.fixture
def vendors(unit_a, unit_b):
    """A record of every kind in each unit, all mentioning "vendor"."""
    for unit in (unit_a, unit_b):
        StakeholderFactory.create(unit=unit, name=f"Vera Vendor {unit.code}")
        InteractionFactory.create(unit=unit, summary=f"Vendor call {unit.code}")
        ComplaintFactory.create(unit=unit, title=f"Vendor late {unit.code}")
        DemandFactory.create(unit=unit, title=f"Vendor portal {unit.code}")
        ServiceReviewFactory.create(unit=unit, agenda=f"Vendor figures {unit.code}")
    BusinessUnitFactory.create(name="Vendor management", code="vm")


def _plan(user, kind: str, text: str) -> str:
    """The plan of `kind`'s one query for `text`, with sequential and plain index scans priced
    out: on a few rows any scan is cheap, so this way only an index CONDITION can find the rows,
    and the search document's is the one that can (if the query's expression drifted from the
    index's, the plan would fall back to a sequential scan)."""
    with CaptureQueriesContext(connection) as queries:
        KINDS_BY_KEY[kind].find(user, text, limit=5)
    [query] = [q for q in queries.captured_queries if "to_tsvector" in q["sql"]]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("kind", [k.key for k in KINDS])
@pytest.mark.parametrize("text", ["vendor", "vend", "finance vendor"])
def test_each_kind_reads_its_search_index(brm, vendors, kind, text):
    assert f"Bitmap Index Scan on {INDEX_OF_KIND[kind]}" in _plan(brm, kind, text)


def test_the_last_word_matches_as_a_prefix_anywhere_in_the_words(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Portal down", description="The vendor again")
    ComplaintFactory.create(unit=unit_a, title="Portal down", description="Nobody knows why")
    assert search_complaints(brm, "vendor por").total == 1
    assert search_complaints(brm, "vendor portal").total == 1
    assert search_complaints(brm, "vendo").total == 1
    assert search_complaints(brm, "por vendor").total == 0  # only the last word is half-typed


def test_a_stop_word_typed_so_far_is_a_prefix_too(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Onboarding forms lost")
    assert search_complaints(brm, "on").total == 1


def test_a_meeting_matches_with_its_units_name(brm, unit_a, unit_b):
    InteractionFactory.create(unit=unit_a, summary="Budget walkthrough")  # Finance
    InteractionFactory.create(unit=unit_b, summary="Budget walkthrough")  # Operations
    InteractionFactory.create(unit=unit_a, summary="Roadmap")
    assert search_interactions(brm, "finance budget").total == 1
    assert search_interactions(brm, "finance budg").total == 1
    assert search_interactions(brm, "finance").total == 2  # every Finance meeting
    assert search_interactions(brm, "budget -finance").total == 1


def test_a_leader_cannot_find_a_meeting_by_the_private_notes_with_the_units_name(leader, unit_a):
    InteractionFactory.create(unit=unit_a, summary="Catch-up", notes="sceptical sponsor")
    assert search_interactions(leader, "finance scept").total == 0
    assert search_interactions(leader, "finance catch").total == 1


def test_a_review_is_found_by_its_units_name_and_its_agenda(brm, unit_a, unit_b):
    ServiceReviewFactory.create(unit=unit_a, agenda="Printer fleet")
    ServiceReviewFactory.create(unit=unit_b, agenda="Printer fleet")
    assert search_reviews(brm, "finance printer").total == 1
    assert search_reviews(brm, "printer").total == 2


@pytest.mark.parametrize(
    "text", ["vendor", "vend", "finance vend", '"vendor call" -late', "x or -y"]
)
@pytest.mark.parametrize("rows", [1, 12])
def test_the_query_count_stays_one_per_kind(
    brm, unit_a, unit_b, rows, text, django_assert_num_queries
):
    # A bench without a clock: however many rows match and whatever the text's shape (prefix,
    # a unit's name, a phrase and a negation, nothing to narrow on), one query per kind.
    for n in range(rows):
        for unit in (unit_a, unit_b):
            StakeholderFactory.create(unit=unit, name=f"Vera Vendor {n}")
            InteractionFactory.create(unit=unit, summary=f"Vendor call {n}", notes="vendor")
            ComplaintFactory.create(unit=unit, title=f"Vendor late {n}")
            DemandFactory.create(unit=unit, title=f"Vendor portal {n}")
            ServiceReviewFactory.create(unit=unit, agenda=f"Vendor figures {n}")
    brm.refresh_from_db()  # a fresh user: the role lookup is counted too
    # 1 role (groups) + 1 per kind (rows and total in one statement each).
    with django_assert_num_queries(1 + len(KINDS)):
        global_search(brm, text)
