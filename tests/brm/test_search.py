"""Global search (#15): each kind within the user's scope, PostgreSQL full-text search with the
plain fallback, one query per kind, and the page's groups, live fragment and empty state."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse

from brm.core import search as core_search
from brm.search import KINDS, global_search
from complaints.selectors import search_complaints
from stakeholders.selectors import search_interactions, search_stakeholders
from tests.core.contract import Contract, published_schema
from tests.factories import (
    BusinessUnitFactory,
    ComplaintFactory,
    DemandFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

URL = reverse("search:search")


def _titles(groups):
    return {g.kind.key: [h.title for h in g.results.hits] for g in groups}


@pytest.fixture
def records(unit_a, unit_b):
    """One record of every kind in each unit, all mentioning "warehouse"."""
    for unit in (unit_a, unit_b):
        StakeholderFactory.create(unit=unit, name=f"Wanda Warehouse {unit.code}")
        InteractionFactory.create(unit=unit, summary=f"Warehouse review {unit.code}")
        ComplaintFactory.create(unit=unit, title=f"Warehouse outage {unit.code}")
        DemandFactory.create(unit=unit, title=f"Warehouse dashboards {unit.code}")
        ServiceReviewFactory.create(unit=unit, agenda=f"Warehouse figures {unit.code}")
    BusinessUnitFactory.create(name="Warehouse logistics", code="whl")


# --- Scope, per role ---------------------------------------------------------------------------


def test_it_finds_every_kind_for_the_it_side(brm, records):
    found = _titles(global_search(brm, "warehouse"))
    assert set(found) == {k.key for k in KINDS}
    assert found["complaints"] and all("Warehouse outage" in t for t in found["complaints"])
    assert len(found["complaints"]) == 2 and len(found["demands"]) == 2


def test_a_leader_finds_only_their_own_units_records(leader, records):
    found = _titles(global_search(leader, "warehouse"))
    every_title = [t for titles in found.values() for t in titles]
    assert every_title and not any("ops" in t for t in every_title)
    assert "units" not in found  # the Warehouse logistics unit is not theirs
    assert any(t.endswith("fin") for t in found["complaints"])


def test_a_leader_cannot_find_another_units_complaint(leader, unit_b):
    ComplaintFactory.create(unit=unit_b, title="Payroll failed twice")
    assert search_complaints(leader, "payroll").total == 0


def test_a_leader_finds_a_complaint_they_raised_elsewhere(leader, unit_b):
    ComplaintFactory.create(unit=unit_b, title="Payroll failed twice", complainant=leader)
    assert search_complaints(leader, "payroll").total == 1


def test_a_leader_cannot_search_the_brms_private_meeting_notes(leader, brm, unit_a):
    InteractionFactory.create(unit=unit_a, summary="Quarterly catch-up", notes="sceptical sponsor")
    assert search_interactions(leader, "sceptical").total == 0
    assert search_interactions(brm, "sceptical").total == 1


def test_people_results_carry_no_stakeholder_analysis(leader, unit_a):
    StakeholderFactory.create(unit=unit_a, name="Ivo Ivanov", influence=5, interest=5)
    result = search_stakeholders(leader, "Ivo")
    [hit] = result.hits
    shown = f"{hit.title} {hit.summary} {hit.meta}"
    assert "Manage closely" not in shown and "influence" not in shown.lower()
    assert "5" not in hit.meta
    # Analysis is never searchable, not even its labels.
    assert search_stakeholders(leader, "manage closely").total == 0


def test_a_leader_finds_no_people_of_another_unit(leader, unit_b):
    StakeholderFactory.create(unit=unit_b, name="Otto Other")
    assert search_stakeholders(leader, "Otto").total == 0


def test_a_user_without_a_role_finds_nothing(no_role_user, records, django_assert_num_queries):
    with django_assert_num_queries(1):  # only the role lookup: every scope is empty
        assert global_search(no_role_user, "warehouse") == []


def test_an_integration_finds_no_complaints(integration, records):
    assert search_complaints(integration, "warehouse").total == 0


# --- The text ------------------------------------------------------------------------------------


def test_websearch_syntax_excludes_a_word(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Printer jammed", description="Floor two")
    ComplaintFactory.create(unit=unit_a, title="Printer offline", description="Floor three")
    hits = search_complaints(brm, "printer -offline").hits
    assert [h.title.split(": ", 1)[1] for h in hits] == ["Printer jammed"]


def test_words_are_stemmed_and_found_in_the_text(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Late", description="Invoices were rejected")
    assert search_complaints(brm, "invoice rejection").total == 1  # both stem to "reject"
    assert search_complaints(brm, "invoice approved").total == 0  # every word must match


def test_a_partial_word_finds_a_title_while_typing(brm, records):
    assert search_complaints(brm, "wareh").total == 2


def test_a_complaint_is_found_by_its_reference(brm, unit_a):
    complaint = ComplaintFactory.create(unit=unit_a, title="Slow VPN")
    complaint.refresh_from_db()
    assert complaint.reference
    assert search_complaints(brm, complaint.reference).hits[0].url == complaint.get_absolute_url()


def test_too_short_or_blank_text_runs_no_query(brm, records, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert global_search(brm, " w ") == []
        assert global_search(brm, "\x00") == []


def test_the_plain_fallback_matches_every_word_anywhere(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Printer jammed", description="Floor two")
    ComplaintFactory.create(unit=unit_a, title="Printer offline", description="Floor three")
    with mock.patch.object(core_search, "uses_full_text", return_value=False):
        assert search_complaints(brm, "printer two").total == 1
        assert search_complaints(brm, "PRINTER").total == 2
        assert search_complaints(brm, "scanner").total == 0


def test_a_heading_match_ranks_before_a_newer_text_match(brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="Vendor portal down", description="Since Monday")
    ComplaintFactory.create(unit=unit_a, title="Slow", description="The vendor portal again")
    hits = search_complaints(brm, "vendor").hits
    assert [h.title.split(": ", 1)[1] for h in hits] == ["Vendor portal down", "Slow"]


def test_the_total_counts_beyond_the_shown_hits(brm, unit_a):
    ComplaintFactory.create_batch(7, unit=unit_a, title="Email bounced")
    result = search_complaints(brm, "bounced", limit=3)
    assert (len(result.hits), result.total) == (3, 7)


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 6])
def test_one_query_per_kind_whatever_the_rows(brm, unit_a, rows, django_assert_num_queries):
    for n in range(rows):
        StakeholderFactory.create(unit=unit_a, name=f"Vera Vendor {n}")
        InteractionFactory.create(unit=unit_a, summary=f"Vendor call {n}")
        ComplaintFactory.create(unit=unit_a, title=f"Vendor late {n}")
        DemandFactory.create(unit=unit_a, title=f"Vendor portal {n}")
        ServiceReviewFactory.create(unit=unit_a, agenda=f"Vendor figures {n}")
    brm.refresh_from_db()  # a fresh user: the role lookup is counted too
    # 1 role (groups) + 1 per kind (rows and total in one statement each).
    with django_assert_num_queries(1 + len(KINDS)):
        groups = global_search(brm, "vendor")
    assert {g.kind.key for g in groups} == {
        "people",
        "meetings",
        "complaints",
        "demands",
        "reviews",
    }


# --- The page -----------------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(URL, {"q": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_live_search_of_an_expired_session_swaps_nothing(client, db):
    response = client.get(
        URL, {"q": "x"}, headers={"HX-Request": "true", "HX-Target": "search-live"}
    )
    assert response.status_code == 204 and response.content == b""


def test_the_page_groups_results_with_counts(client, brm, records):
    client.force_login(brm)
    html = client.get(URL, {"q": "warehouse"}).content.decode()
    assert 'id="search-complaints-h"' in html and "Warehouse outage fin" in html
    assert "Warehouse outage ops" in html  # the IT side reads every unit


def test_the_page_shows_a_leader_only_their_units_results(client, leader, records):
    client.force_login(leader)
    html = client.get(URL, {"q": "warehouse"}).content.decode()
    assert "Warehouse outage fin" in html and "Warehouse outage ops" not in html
    assert "Warehouse logistics" not in html


def test_the_empty_state_says_what_to_try(client, brm, unit_a):
    client.force_login(brm)
    html = client.get(URL, {"q": "zebra"}).content.decode()
    assert "Nothing found for “zebra”" in html and "Check the spelling" in html
    html = client.get(URL).content.decode()
    assert "Type what you are looking for" in html


def test_the_header_gets_the_live_fragment(client, brm, records):
    client.force_login(brm)
    response = client.get(
        URL, {"q": "warehouse"}, headers={"HX-Request": "true", "HX-Target": "search-live"}
    )
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="search-live"')
    assert "All results for “warehouse”" in html
    assert "HX-Request" in response["Vary"]


def test_the_page_swaps_only_its_results_region(client, brm, records):
    client.force_login(brm)
    html = client.get(
        URL, {"q": "warehouse"}, headers={"HX-Request": "true", "HX-Target": "search-results"}
    ).content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="search-results"')


def test_one_kind_shows_more_of_it(client, brm, unit_a):
    ComplaintFactory.create_batch(8, unit=unit_a, title="Email bounced")
    client.force_login(brm)
    html = client.get(URL, {"q": "bounced"}).content.decode()
    assert len(re.findall(r'href="/complaints/\d+/"', html)) == 5 and "All 8 complaints" in html
    html = client.get(URL, {"q": "bounced", "kind": "complaints"}).content.decode()
    assert len(re.findall(r'href="/complaints/\d+/"', html)) == 8


def test_the_page_runs_a_constant_number_of_queries(
    client, brm, records, django_assert_num_queries
):
    client.force_login(brm)
    # session, user with their role, then one per kind.
    with django_assert_num_queries(2 + len(KINDS)):
        assert client.get(URL, {"q": "warehouse"}).status_code == 200


# --- The API ------------------------------------------------------------------------------------

API = "/api/v1/search/"


def test_the_api_needs_credentials(api, db):
    assert api.get(API, {"q": "warehouse"}).status_code == 401


def test_the_api_answers_within_the_callers_scope(as_user, leader, records):
    body = as_user(leader).get(API, {"q": "warehouse"}).json()
    complaints = next(g for g in body["groups"] if g["kind"] == "complaints")
    assert complaints["count"] == 1 and complaints["results"][0]["title"].endswith("fin")
    assert body["query"] == "warehouse" and body["count"] == sum(g["count"] for g in body["groups"])
    assert "units" not in {g["kind"] for g in body["groups"]}


def test_the_api_narrows_to_one_kind_and_refuses_an_unknown_one(as_user, brm, records):
    client = as_user(brm)
    body = client.get(API, {"q": "warehouse", "kind": "demands", "limit": 1}).json()
    [group] = body["groups"]
    assert (group["kind"], group["count"], len(group["results"])) == ("demands", 2, 1)
    refused = client.get(API, {"q": "warehouse", "kind": "secrets"})
    assert refused.status_code == 400 and "kind" in refused.json()
    assert client.get(API, {"q": "x", "limit": 500}).status_code == 400


def test_the_api_answers_what_its_schema_says(as_user, brm, records):
    contract = Contract(published_schema())
    body = as_user(brm).get(API, {"q": "warehouse"}).json()
    assert body["groups"] and contract.errors(API, "get", 200, body) == []
    refused = as_user(brm).get(API, {"kind": "secrets"})
    assert contract.errors(API, "get", 400, refused.json()) == []


@pytest.mark.parametrize(
    "text", ["a:* & | ! ( ) <->", "'; drop table x; --", '"unclosed', "x" * 5000, "--", "%_\\"]
)
def test_hostile_text_is_searched_not_a_server_error(client, brm, records, text):
    client.force_login(brm)
    response = client.get(URL, {"q": text})
    assert response.status_code == 200 and "x" * 201 not in response.content.decode()


def test_the_kinds_are_named_in_the_readers_language(client, brm, records):
    client.force_login(brm)
    spanish = client.get(URL, {"q": "warehouse"}, headers={"accept-language": "es"})
    body = spanish.content.decode()
    assert "Demandas e ideas" in body and "Demands and ideas" not in body
    english = client.get(URL, {"q": "warehouse"}, headers={"accept-language": "en"})
    assert "Demands and ideas" in english.content.decode()
