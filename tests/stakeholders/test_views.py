"""The server-rendered pages: full pages, htmx fragments, forms, exports, audit trail, handovers.

The permission matrix and the query counts are in `test_view_access.py`.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django.utils.html import strip_tags

from brm.core.models import OutboundEmail
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    Handover,
    Interaction,
    OwnerSide,
    Stakeholder,
)
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    InteractionFactory,
    StakeholderFactory,
)

HX = {"HTTP_HX_REQUEST": "true"}
DELAY = "brm.core.delivery.deliver_email.delay"


def body(response) -> str:
    text: str = response.content.decode()
    return text


def text(response) -> str:
    """The visible text, whitespace collapsed: for sentences that span tags."""
    return " ".join(html.unescape(strip_tags(body(response))).split())


def assert_full_page(response):
    assert response.status_code == 200
    assert "<html" in body(response)


def assert_fragment(response, region: str):
    assert response.status_code == 200
    content = body(response)
    assert "<html" not in content
    assert f'id="{region}"' in content
    # Caches must not serve a fragment for a full page or the reverse.
    assert "HX-Request" in response["Vary"]


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))


def meeting_data(**overrides) -> dict[str, object]:
    """A valid "log a meeting" POST: the interaction and one commitment (row 2 left blank)."""
    data: dict[str, object] = {
        "kind": "formal_meeting",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "summary": "Quarterly review",
        "sentiment": "1",
        "notes": "CFO worried about costs",
        "c-TOTAL_FORMS": "2",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "5",
        "c-0-title": "Send the cost breakdown",
        "c-0-owner_side": "it",
        "c-0-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "c-1-title": "",
        "c-1-owner_side": "it",
        "c-1-due_date": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stakeholder_data(unit, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Nora New",
        "job_title": "Head of Payroll",
        "unit": unit.pk,
        "role_type": "customer",
        "influence": "3",
        "interest": "4",
        "email": "nora@example.org",
        "phone": "",
        "preferred_channel": "email",
        "active": "on",
    }
    data.update(overrides)
    return data


# --- Full pages and fragments -----------------------------------------------------------------


@pytest.fixture
def world(unit_a, unit_b, brm, other_brm):
    """A little of everything in both units."""
    ann = StakeholderFactory.create(unit=unit_a, name="Ann Archer", influence=5, interest=5)
    StakeholderFactory.create(unit=unit_b, name="Otto Ops")
    meeting = InteractionFactory.create(unit=unit_a, summary="Budget talk", notes="Top secret note")
    meeting.attendees.add(ann)
    meeting.it_participants.add(brm)
    item = ActionItemFactory.create(
        unit=unit_a, title="Send the roadmap", owner=brm, interaction=meeting
    )
    ActionItemFactory.create(unit=unit_b, title="Fix the printers", owner=other_brm)
    return {"person": ann, "meeting": meeting, "item": item}


LIST_PAGES = [
    ("/units/", "unit-results"),
    ("/stakeholders/", "stakeholder-results"),
    ("/stakeholders/map/", "stakeholder-grid"),
    ("/commitments/", "commitment-results"),
]


@pytest.mark.parametrize(("url", "region"), LIST_PAGES)
def test_list_pages_are_full_pages(client, brm, world, url, region):
    client.force_login(brm)
    response = client.get(url)
    assert_full_page(response)
    assert f'id="{region}"' in body(response)


@pytest.mark.parametrize(("url", "region"), LIST_PAGES)
def test_list_pages_answer_htmx_with_their_region(client, brm, world, url, region):
    client.force_login(brm)
    assert_fragment(client.get(url, **HX), region)


@pytest.mark.parametrize(("url", "region"), LIST_PAGES)
def test_a_boosted_link_gets_the_full_page(client, brm, world, url, region):
    client.force_login(brm)
    assert_full_page(client.get(url, HTTP_HX_BOOSTED="true", **HX))


def test_the_unit_page_is_a_full_page_with_timeline_and_log_form(client, brm, unit_a, world):
    client.force_login(brm)
    response = client.get(f"/units/{unit_a.pk}/")
    assert_full_page(response)
    assert 'id="timeline"' in body(response)
    # The log form is loaded on demand from its own view, with a plain link without JavaScript.
    form_url = f"/units/{unit_a.pk}/meetings/new/"
    assert f'id="log-form-slot" hx-get="{form_url}" hx-trigger="revealed"' in body(response)
    assert f'href="{form_url}"' in body(response)


def test_the_timeline_answers_htmx_with_its_region(client, brm, unit_a, world):
    client.force_login(brm)
    response = client.get(f"/units/{unit_a.pk}/timeline/", **HX)
    assert_fragment(response, "timeline")
    assert "Budget talk" in body(response)


def test_the_meeting_form_is_a_page_of_its_own(client, brm, unit_a):
    client.force_login(brm)
    response = client.get(f"/units/{unit_a.pk}/meetings/new/")
    assert_full_page(response)
    assert 'id="log-form"' in body(response)


def test_the_meeting_form_answers_htmx_with_its_region(client, brm, unit_a):
    client.force_login(brm)
    assert_fragment(client.get(f"/units/{unit_a.pk}/meetings/new/", **HX), "log-form")


@pytest.mark.parametrize(
    "url",
    [
        "/units/{unit}/handover/",
        "/stakeholders/{person}/",
        "/stakeholders/{person}/edit/",
        "/stakeholders/new/",
        "/commitments/{item}/",
    ],
)
def test_detail_and_form_pages_are_full_pages(client, brm, unit_a, world, url):
    client.force_login(brm)
    url = url.format(unit=unit_a.pk, person=world["person"].pk, item=world["item"].pk)
    assert_full_page(client.get(url))


def test_pages_handle_a_unit_without_brm(client, admin_user, world):
    orphan = BusinessUnitFactory.create(name="Orphans", brm=None)
    Handover.objects.create(unit=orphan, from_brm=None, to_brm=None)
    client.force_login(admin_user)
    assert "nobody assigned" in text(client.get("/units/"))
    page = text(client.get(f"/units/{orphan.pk}/"))
    assert "Relationship manager: nobody assigned" in page
    assert "Relationship handed over from nobody to nobody" in page
    assert "Last handover: nobody → nobody" in text(client.get(f"/units/{orphan.pk}/handover/"))


# --- The register -----------------------------------------------------------------------------


def test_live_search_filters_the_register_by_name(client, brm, unit_a, unit_b):
    StakeholderFactory.create(unit=unit_a, name="Ann Archer")
    StakeholderFactory.create(unit=unit_b, name="Anna Oakley")
    StakeholderFactory.create(unit=unit_a, name="Bob Baker")
    client.force_login(brm)
    response = client.get("/stakeholders/?search=ann", **HX)
    assert_fragment(response, "stakeholder-results")
    assert "Ann Archer" in body(response)
    assert "Anna Oakley" in body(response)
    assert "Bob Baker" not in body(response)


def test_live_search_says_when_nobody_matches(client, brm, world):
    client.force_login(brm)
    response = client.get("/stakeholders/?search=zebra", **HX)
    assert "Nobody matches these filters" in body(response)


def test_the_register_pages_within_its_region(client, brm, unit_a):
    StakeholderFactory.create_batch(30, unit=unit_a)
    client.force_login(brm)
    response = client.get("/stakeholders/?search=example", **HX)
    content = html.unescape(body(response))
    assert "1–25 of 30" in content
    assert 'hx-get="?search=example&page=2"' in content
    assert 'hx-target="#stakeholder-results"' in content
    page2 = client.get("/stakeholders/?search=example&page=2", **HX)
    assert "26–30 of 30" in body(page2)


def test_a_leader_filtering_by_another_unit_gets_no_data(client, leader, unit_b):
    # The register is IT's stakeholder analysis: a leader is refused whatever the filter.
    StakeholderFactory.create(unit=unit_b, name="Otto Ops")
    client.force_login(leader)
    response = client.get(f"/stakeholders/?unit={unit_b.pk}")
    assert response.status_code == 403
    assert "Otto Ops" not in body(response)
    assert "Operations" not in body(response)


# --- The stakeholder map ----------------------------------------------------------------------


class _MapParser(HTMLParser):
    """Reads the map into {(influence, interest): count} by position: row header, then column."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.hrefs: dict[tuple[int, int], str] = {}
        self._in_map = self._in_body = False
        self._cell: list[str] | None = None
        self._header: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "stakeholder-map" in (attrs.get("class") or ""):
            self._in_map = True
        elif self._in_map and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append(("", []))
        elif self._in_body and tag == "th":
            self._header = []
        elif self._in_body and tag == "td":
            self._cell = []
        elif self._cell is not None and tag == "a" and "map-count" in (attrs.get("class") or ""):
            self._cell.append("count:")
            influence = int(self.rows[-1][0].split()[-1])
            self.hrefs[(influence, len(self.rows[-1][1]) + 1)] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "th" and self._header is not None:
            self.rows[-1] = ("".join(self._header).strip(), self.rows[-1][1])
            self._header = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._in_body = self._in_map = False

    def handle_data(self, data):
        if self._header is not None:
            self._header.append(data)
        elif self._cell is not None and self._cell and self._cell[-1] == "count:":
            self._cell[-1] += data.strip()

    def counts(self) -> dict[tuple[int, int], int]:
        grid = {}
        for header, cells in self.rows:
            influence = int(header.split()[-1])
            for interest, cell in enumerate(cells, start=1):
                match = re.search(r"count:(\d+)", cell)
                grid[(influence, interest)] = int(match.group(1)) if match else 0
        return grid


def read_map(response) -> _MapParser:
    parser = _MapParser()
    parser.feed(body(response))
    assert [h for h, _ in parser.rows] == [f"Influence {n}" for n in (5, 4, 3, 2, 1)]
    assert all(len(cells) == 5 for _, cells in parser.rows)
    return parser


@pytest.fixture
def mapped(unit_a, unit_b):
    for name, influence, interest in [
        ("Ann", 5, 5),
        ("Abe", 5, 5),
        ("Sal", 5, 1),
        ("Ivy", 1, 5),
        ("Ian", 1, 5),
        ("Ike", 1, 5),
        ("Mo", 2, 3),
    ]:
        StakeholderFactory.create(
            unit=unit_a, name=name, job_title="Staff", influence=influence, interest=interest
        )
    StakeholderFactory.create(
        unit=unit_a, name="Gone", job_title="Staff", influence=5, interest=5, active=False
    )
    StakeholderFactory.create(unit=unit_b, name="Bea", job_title="Staff", influence=5, interest=5)


def test_the_map_counts_people_in_their_cell(client, brm, unit_a, mapped):
    client.force_login(brm)
    grid = read_map(client.get(f"/stakeholders/map/?unit={unit_a.pk}")).counts()
    expected = {(i, j): 0 for i in range(1, 6) for j in range(1, 6)}
    expected.update({(5, 5): 2, (5, 1): 1, (1, 5): 3, (2, 3): 1})
    assert grid == expected


def test_the_map_covers_every_visible_unit_without_a_filter(client, brm, mapped):
    client.force_login(brm)
    grid = read_map(client.get("/stakeholders/map/")).counts()
    assert grid[(5, 5)] == 3  # Ann, Abe and Bea; inactive Gone is not on the map
    assert sum(grid.values()) == 8


def test_a_leader_gets_no_map(client, leader, mapped):
    # Power/interest is how IT rates people: not for the business leaders it rates.
    client.force_login(leader)
    response = client.get("/stakeholders/map/")
    assert response.status_code == 403
    assert "Bea" not in body(response)


def test_the_map_answers_htmx_with_the_grid(client, brm, unit_a, mapped):
    client.force_login(brm)
    response = client.get(f"/stakeholders/map/?unit={unit_a.pk}", **HX)
    assert_fragment(response, "stakeholder-grid")
    assert read_map(response).counts()[(1, 5)] == 3


def _register_names(client, href: str) -> set[str]:
    response = client.get(html.unescape(href))
    assert response.status_code == 200
    return set(re.findall(r'class="fw-semibold">([^<]+)</a>', body(response)))


def test_a_map_cell_links_to_exactly_its_people_in_the_register(client, brm, unit_a, mapped):
    client.force_login(brm)
    hrefs = read_map(client.get(f"/stakeholders/map/?unit={unit_a.pk}")).hrefs
    assert set(hrefs) == {(5, 5), (5, 1), (1, 5), (2, 3)}
    assert _register_names(client, hrefs[(5, 5)]) == {"Ann", "Abe"}
    assert _register_names(client, hrefs[(1, 5)]) == {"Ivy", "Ian", "Ike"}
    assert _register_names(client, hrefs[(5, 1)]) == {"Sal"}


def test_a_map_cell_link_keeps_a_search_made_on_the_register(client, brm, mapped):
    # The register's "Map" button carries its filters over; the way back must keep them too.
    client.force_login(brm)
    parser = read_map(client.get("/stakeholders/map/?search=ann"))
    assert parser.counts()[(5, 5)] == 1  # Ann only
    assert _register_names(client, parser.hrefs[(5, 5)]) == {"Ann"}


# --- The unit page and its timeline -----------------------------------------------------------


def test_the_timeline_shows_meetings_kept_promises_and_handovers(client, brm, other_brm, unit_a):
    now = timezone.now()
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer")
    meeting = InteractionFactory.create(
        unit=unit_a, summary="Budget talk", occurred_at=now - timedelta(days=3)
    )
    meeting.attendees.add(person)
    meeting.it_participants.add(brm)
    ActionItemFactory.create(
        unit=unit_a,
        title="Promised in the meeting",
        interaction=meeting,
        owner=brm,
        due_date=timezone.localdate() + timedelta(days=5),
    )
    ActionItemFactory.create(
        unit=unit_a,
        title="Laptops delivered",
        owner=brm,
        status=ActionStatus.DONE,
        completed_at=now - timedelta(days=2),
        due_date=timezone.localdate() - timedelta(days=4),
    )
    Handover.objects.create(unit=unit_a, from_brm=other_brm, to_brm=brm, note="Welcome aboard")
    ActionItemFactory.create(unit=unit_a, title="Still open, not on the timeline", owner=brm)
    client.force_login(brm)
    timeline = text(client.get(f"/units/{unit_a.pk}/timeline/", **HX))
    assert "Formal meeting: Budget talk" in timeline
    assert "with Ann Archer" in timeline
    assert "IT: Bianca Reyes" in timeline
    assert "Promise: Promised in the meeting" in timeline
    assert "Promise kept (late): Laptops delivered" in timeline
    assert "Relationship handed over from" in timeline
    assert "to Bianca Reyes" in timeline
    assert "Welcome aboard" in timeline
    # Newest first: the handover (now), the kept promise (2 days ago), the meeting (3 days ago).
    assert (
        timeline.index("handed over")
        < timeline.index("Laptops delivered")
        < timeline.index("Budget talk")
    )
    assert "Still open, not on the timeline" not in timeline


def test_an_empty_timeline_invites_the_first_meeting(client, brm, unit_a):
    client.force_login(brm)
    assert "Nothing on the timeline yet" in body(client.get(f"/units/{unit_a.pk}/"))


def _older_link(response) -> str:
    match = re.search(r'hx-get="([^"]*/timeline/\?before=[^"]*)"', body(response))
    assert match, "no 'Show older' link"
    return html.unescape(match.group(1))


@pytest.fixture
def long_history(unit_a):
    now = timezone.now()
    return [
        InteractionFactory.create(
            unit=unit_a, summary=f"Meeting #{n:02d}", occurred_at=now - timedelta(hours=n)
        )
        for n in range(1, 26)
    ]


def test_the_unit_page_shows_the_newest_twenty_and_a_show_older_link(
    client, brm, unit_a, long_history
):
    client.force_login(brm)
    response = client.get(f"/units/{unit_a.pk}/")
    content = body(response)
    assert "Meeting #01" in content
    assert "Meeting #20" in content
    assert "Meeting #21" not in content
    assert "Show older" in content


def test_show_older_appends_the_next_page(client, brm, unit_a, long_history):
    client.force_login(brm)
    older = client.get(_older_link(client.get(f"/units/{unit_a.pk}/")), **HX)
    assert older.status_code == 200
    content = body(older)
    assert "<html" not in content
    assert 'id="timeline"' not in content  # entries to append, not a replacement region
    assert [f"Meeting #{n}" for n in range(21, 26)] == re.findall(r"Meeting #\d+", content)
    assert "Show older" not in content


def test_show_older_works_without_javascript(client, brm, unit_a, long_history):
    client.force_login(brm)
    match = re.search(
        r'href="(/units/\d+/\?before=[^"#]*)#timeline"', body(client.get(f"/units/{unit_a.pk}/"))
    )
    assert match
    response = client.get(html.unescape(match.group(1)))
    assert_full_page(response)
    assert "Meeting #21" in body(response)
    assert "Meeting #20" not in body(response)


def test_a_malformed_cursor_shows_the_newest_page(client, brm, unit_a, long_history):
    client.force_login(brm)
    response = client.get(f"/units/{unit_a.pk}/?before=yesterday")
    assert "Meeting #01" in body(response)


def test_it_side_sees_private_notes_on_the_timeline(client, brm, unit_a, world):
    client.force_login(brm)
    assert "Top secret note" in body(client.get(f"/units/{unit_a.pk}/"))


@pytest.mark.parametrize(
    ("url", "shows_the_meeting"),
    [
        ("/units/{unit}/", True),
        ("/units/{unit}/timeline/", True),
        ("/units/{unit}/timeline/?before={later}", True),
        ("/stakeholders/{person}/", True),
        ("/commitments/{item}/", True),
        ("/commitments/", False),
        ("/units/", False),
    ],
)
def test_a_leader_never_sees_private_notes(client, leader, unit_a, world, url, shows_the_meeting):
    client.force_login(leader)
    later = (timezone.now() + timedelta(hours=1)).isoformat().replace("+", "%2B")
    url = url.format(unit=unit_a.pk, person=world["person"].pk, item=world["item"].pk, later=later)
    response = client.get(url)
    assert response.status_code == 200
    # The meeting itself is theirs to see; only the BRM's notes on it are not.
    assert ("Budget talk" in body(response)) == shows_the_meeting
    assert "Top secret note" not in body(response)


def test_a_leader_sees_no_log_form_and_no_history(client, leader, unit_a, world):
    client.force_login(leader)
    response = client.get(f"/units/{unit_a.pk}/")
    assert 'id="log-form' not in body(response)  # neither the form nor its on-demand slot
    assert "Change history" not in body(response)
    assert "Handover pack" not in body(response)


def test_an_executive_sees_no_log_form(client, executive, unit_a, world):
    client.force_login(executive)
    assert 'id="log-form' not in body(client.get(f"/units/{unit_a.pk}/"))


# --- Logging a meeting ------------------------------------------------------------------------


def _counts() -> tuple[int, int]:
    return Interaction.objects.count(), ActionItem.objects.count()


def test_logging_a_meeting_with_htmx_saves_it_and_its_commitment(client, brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer")
    client.force_login(brm)
    response = client.post(
        f"/units/{unit_a.pk}/meetings/new/", meeting_data(attendees=[person.pk]), **HX
    )
    assert_fragment(response, "log-form")
    interaction = Interaction.objects.get()
    assert interaction.summary == "Quarterly review"
    assert interaction.notes == "CFO worried about costs"
    assert interaction.sentiment == 1
    assert list(interaction.attendees.all()) == [person]
    assert list(interaction.it_participants.all()) == [brm]
    item = ActionItem.objects.get()
    assert (item.title, item.interaction, item.owner, item.unit) == (
        "Send the cost breakdown",
        interaction,
        brm,
        unit_a,
    )


def test_logging_a_meeting_with_htmx_returns_a_fresh_form_and_an_event(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data(), **HX)
    assert "interactionLogged" in response["HX-Trigger"]
    content = body(response)
    assert "Meeting logged" in content
    assert "Quarterly review" not in content  # the form is empty again
    assert "Send the cost breakdown" not in content


def test_logging_with_htmx_leaves_no_stale_message_for_the_next_page(client, brm, unit_a):
    client.force_login(brm)
    client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data(), **HX)
    # The fragment already said so; the next page must not say it again.
    assert 'role="alert"' not in body(client.get("/units/"))


@pytest.mark.parametrize(
    ("overrides", "field_id", "error"),
    [
        ({"summary": ""}, "id_summary_error", "This field is required."),
        ({"c-0-due_date": ""}, "id_c-0-due_date_error", "A commitment needs a due date."),
        (
            {"c-0-owner_side": "business"},
            "id_c-0-owner_stakeholder_error",
            "Who on the business side will do it?",
        ),
        ({"kind": "séance"}, "id_kind_error", "Select a valid choice."),
    ],
)
def test_an_invalid_meeting_shows_the_error_by_its_field_and_saves_nothing(
    client, brm, unit_a, overrides, field_id, error
):
    client.force_login(brm)
    before = _counts()
    response = client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data(**overrides), **HX)
    assert_fragment(response, "log-form")
    assert "HX-Trigger" not in response
    content = html.unescape(body(response))
    assert re.search(rf'id="{re.escape(field_id)}">\s*{re.escape(error)}', content), content
    assert "nothing was saved" in content
    assert _counts() == before


def test_an_invalid_sentiment_is_reported_in_the_sentiment_group(client, brm, unit_a):
    client.force_login(brm)
    before = _counts()
    response = client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data(sentiment="5"), **HX)
    assert_fragment(response, "log-form")
    content = body(response)
    error = content.index("Select a valid choice. 5 is not one of the available choices.")
    assert content.index('name="sentiment"') < error < content.index('name="it_participants"')
    assert _counts() == before


def test_an_invalid_meeting_keeps_what_the_user_typed(client, brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a)
    client.force_login(brm)
    response = client.post(
        f"/units/{unit_a.pk}/meetings/new/",
        meeting_data(**{"c-0-due_date": "", "attendees": [person.pk], "sentiment": "-2"}),
        **HX,
    )
    content = body(response)
    assert 'value="Quarterly review"' in content
    assert "CFO worried about costs" in content
    assert 'value="Send the cost breakdown"' in content
    assert re.search(rf'<input[^>]*value="{person.pk}"[^>]*checked', content)
    assert re.search(r'<input[^>]*value="-2"[^>]*checked', content)


def test_a_future_meeting_is_refused(client, brm, unit_a):
    client.force_login(brm)
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/units/{unit_a.pk}/meetings/new/", meeting_data(occurred_at=later), **HX
    )
    assert "logged after it happens" in body(response)
    assert _counts() == (0, 0)


def test_a_meeting_without_commitments_is_fine(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(
        f"/units/{unit_a.pk}/meetings/new/", meeting_data(**{"c-0-title": ""}), **HX
    )
    assert response.status_code == 200
    assert _counts() == (1, 0)


def test_logging_without_htmx_redirects_to_the_unit(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data())
    assert response.status_code == 302
    assert response["Location"] == f"/units/{unit_a.pk}/"
    assert _counts() == (1, 1)
    page = client.get(response["Location"])
    assert "Meeting logged." in body(page)
    assert "Quarterly review" in body(page)


def test_an_invalid_meeting_without_htmx_is_the_full_page_with_errors(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(f"/units/{unit_a.pk}/meetings/new/", meeting_data(summary=""))
    assert_full_page(response)
    assert 'id="id_summary_error"' in body(response)
    assert 'value="Send the cost breakdown"' in body(response)
    assert _counts() == (0, 0)


# --- Commitment transitions -------------------------------------------------------------------


def test_marking_done_with_htmx_returns_the_row(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm, title="Send the roadmap")
    client.force_login(brm)
    response = client.post(f"/commitments/{item.pk}/done/", **HX)
    assert response.status_code == 200
    content = body(response)
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="commitment-{item.pk}"')
    assert "Done on time" in content
    assert f"/commitments/{item.pk}/done/" not in content  # no button to mark it again
    assert "commitmentChanged" in response["HX-Trigger"]
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE


def test_marking_done_twice_with_htmx_is_a_conflict(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/done/", **HX)
    response = client.post(f"/commitments/{item.pk}/done/", **HX)
    assert response.status_code == 409
    assert "already done" in body(response)


def test_marking_done_twice_without_htmx_explains_on_the_page(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/done/")
    response = client.post(f"/commitments/{item.pk}/done/", follow=True)
    assert "already done" in body(response)


def test_marking_done_without_htmx_goes_back_to_the_list(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    response = client.post(f"/commitments/{item.pk}/done/", {"next": "/commitments/?status=open"})
    assert response["Location"] == "/commitments/?status=open"
    assert f"“{item.title}” marked done." in body(client.get(response["Location"]))


def test_marking_done_never_redirects_off_site(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    response = client.post(f"/commitments/{item.pk}/done/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/commitments/{item.pk}/"


def test_marking_done_with_htmx_leaves_no_stale_message(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/done/", **HX)
    assert "marked done" not in body(client.get("/commitments/"))


def test_dropping_requires_a_reason(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    response = client.post(f"/commitments/{item.pk}/drop/", {"reason": ""})
    assert response["Location"] == f"/commitments/{item.pk}/"
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert "Say why the commitment is dropped." in body(client.get(response["Location"]))


def test_dropping_with_a_reason_records_it(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/drop/", {"reason": "Project cancelled"})
    item.refresh_from_db()
    assert item.status == ActionStatus.DROPPED
    page = client.get(f"/commitments/{item.pk}/")
    assert "Project cancelled" in body(page)  # the reason shows in the change history


def test_reopening_a_done_commitment(client, brm, unit_a):
    item = ActionItemFactory.create(
        unit=unit_a, owner=brm, status=ActionStatus.DONE, completed_at=timezone.now()
    )
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/reopen/")
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_an_unknown_transition_is_not_found(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    assert client.post(f"/commitments/{item.pk}/explode/").status_code == 404


def test_transitions_need_post(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    assert client.get(f"/commitments/{item.pk}/done/").status_code == 405


def test_the_list_offers_done_only_where_the_user_may_change(client, brm, unit_a, unit_b):
    mine = ActionItemFactory.create(unit=unit_a, owner=brm)
    theirs = ActionItemFactory.create(unit=unit_b)
    client.force_login(brm)
    content = body(client.get("/commitments/?mine=false"))
    assert f"/commitments/{mine.pk}/done/" in content
    assert f"/commitments/{theirs.pk}/done/" not in content


def test_editing_a_commitment_moves_its_due_date(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm, title="Old title")
    client.force_login(brm)
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        f"/commitments/{item.pk}/",
        {"title": "New title", "owner_side": "it", "owner": "", "due_date": due},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.due_date.isoformat()) == ("New title", due)


# --- Stakeholder forms ------------------------------------------------------------------------


def test_a_brm_adds_a_stakeholder_to_their_unit(client, brm, unit_a):
    client.force_login(brm)
    response = client.post("/stakeholders/new/", stakeholder_data(unit_a))
    person = Stakeholder.objects.get(name="Nora New")
    assert response["Location"] == f"/stakeholders/{person.pk}/"
    assert (person.unit, person.influence, person.interest) == (unit_a, 3, 4)


def test_the_unit_choice_offers_only_units_the_user_may_change(client, brm, unit_a, unit_b):
    client.force_login(brm)
    content = body(client.get("/stakeholders/new/"))
    assert f'<option value="{unit_a.pk}">Finance</option>' in content
    assert "Operations" not in content


def test_the_unit_can_be_preselected(client, brm, unit_a):
    client.force_login(brm)
    content = body(client.get(f"/stakeholders/new/?unit={unit_a.pk}"))
    assert f'<option value="{unit_a.pk}" selected>Finance</option>' in content


def test_a_brm_cannot_add_to_another_unit(client, brm, unit_b):
    client.force_login(brm)
    response = client.post("/stakeholders/new/", stakeholder_data(unit_b))
    assert response.status_code == 200
    assert "Select a valid choice" in body(response)
    assert not Stakeholder.objects.filter(name="Nora New").exists()


def test_stakeholder_form_errors_stay_by_the_field_with_the_input_kept(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(
        "/stakeholders/new/", stakeholder_data(unit_a, influence="7", email="not-an-email")
    )
    assert_full_page(response)
    content = html.unescape(body(response))
    assert re.search(
        r'id="id_influence_error">\s*Ensure this value is less than or equal to 5', content
    )
    assert re.search(r'id="id_email_error">\s*Enter a valid email address', content)
    assert 'value="Nora New"' in content
    assert 'value="Head of Payroll"' in content
    assert 'value="7"' in content
    assert "nothing was saved" in content
    assert not Stakeholder.objects.filter(name="Nora New").exists()


def test_a_brm_edits_a_stakeholder_of_their_unit(client, brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer")
    client.force_login(brm)
    response = client.post(
        f"/stakeholders/{person.pk}/edit/", stakeholder_data(unit_a, name="Ann Archer-Smith")
    )
    assert response["Location"] == f"/stakeholders/{person.pk}/"
    person.refresh_from_db()
    assert person.name == "Ann Archer-Smith"


def test_a_brm_cannot_move_a_stakeholder_to_another_unit(client, brm, unit_a, unit_b):
    person = StakeholderFactory.create(unit=unit_a)
    client.force_login(brm)
    response = client.post(f"/stakeholders/{person.pk}/edit/", stakeholder_data(unit_b))
    assert response.status_code == 200
    assert "Select a valid choice" in body(response)
    person.refresh_from_db()
    assert person.unit == unit_a


def test_the_edit_form_shows_the_current_values(client, brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer", influence=4)
    client.force_login(brm)
    content = body(client.get(f"/stakeholders/{person.pk}/edit/"))
    assert 'value="Ann Archer"' in content
    assert re.search(r'name="influence" value="4"', content)


# --- Audit trail ------------------------------------------------------------------------------


def test_the_detail_page_shows_who_changed_what(client, brm, executive, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer", influence=3)
    client.force_login(brm)
    client.post(
        f"/stakeholders/{person.pk}/edit/",
        stakeholder_data(unit_a, name="Ann Archer", influence="5"),
    )
    client.force_login(executive)
    page = text(client.get(f"/stakeholders/{person.pk}/"))
    assert "Change history" in page
    assert "Bianca Reyes changed this" in page
    assert "Influence: 3 → 5" in page


def test_a_leader_sees_no_change_history(client, brm, leader, unit_a):
    person = StakeholderFactory.create(unit=unit_a, name="Ann Archer", influence=3)
    client.force_login(brm)
    client.post(
        f"/stakeholders/{person.pk}/edit/",
        stakeholder_data(unit_a, name="Ann Archer", influence="5"),
    )
    client.force_login(leader)
    response = client.get(f"/stakeholders/{person.pk}/")
    assert response.status_code == 200
    assert "Change history" not in body(response)
    assert "3 → 5" not in text(response)
    assert "Bianca Reyes changed" not in text(response)


def test_commitment_history_shows_the_reason_for_a_change(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm)
    client.force_login(brm)
    client.post(f"/commitments/{item.pk}/done/")
    page = text(client.get(f"/commitments/{item.pk}/"))
    assert "Bianca Reyes changed this" in page
    assert "Marked done" in page
    assert "Status: Open → Done" in page


# --- Reassigning a unit -----------------------------------------------------------------------


def test_an_admin_reassigns_a_unit(
    client, admin_user, brm, other_brm, unit_a, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/units/{unit_a.pk}/reassign/", {"new_brm": other_brm.pk, "note": "Over to you"}
        )
    assert response["Location"] == f"/units/{unit_a.pk}/"
    handover = Handover.objects.get()
    assert (handover.from_brm, handover.to_brm, handover.note) == (brm, other_brm, "Over to you")
    assert handover.handed_over_by == admin_user
    [email] = OutboundEmail.objects.filter(key=f"stakeholders.handover_pack:{handover.pk}")
    delay.assert_called_once_with(email.pk)  # the pack's email, queued after commit
    unit_a.refresh_from_db()
    assert unit_a.brm == other_brm
    page = text(client.get(response["Location"]))
    assert "Relationship handed over" in page
    assert "the new BRM gets the handover pack" in page


def test_reassigning_to_the_same_brm_records_nothing(client, admin_user, brm, unit_a):
    client.force_login(admin_user)
    response = client.post(f"/units/{unit_a.pk}/reassign/", {"new_brm": brm.pk}, follow=True)
    assert "already manages this relationship" in body(response)
    assert not Handover.objects.exists()


def test_reassigning_to_a_non_brm_is_refused(client, admin_user, executive, unit_a):
    client.force_login(admin_user)
    response = client.post(f"/units/{unit_a.pk}/reassign/", {"new_brm": executive.pk}, follow=True)
    assert "Pick an active relationship manager." in body(response)
    assert not Handover.objects.exists()


def test_reassigning_with_htmx_redirects_the_browser(client, admin_user, other_brm, unit_a):
    client.force_login(admin_user)
    with mock.patch(DELAY):
        response = client.post(f"/units/{unit_a.pk}/reassign/", {"new_brm": other_brm.pk}, **HX)
    assert response["HX-Redirect"] == f"/units/{unit_a.pk}/"


def test_a_brm_may_not_reassign_even_their_own_unit(client, brm, other_brm, unit_a):
    client.force_login(brm)
    response = client.post(f"/units/{unit_a.pk}/reassign/", {"new_brm": other_brm.pk})
    assert response.status_code == 403
    assert not Handover.objects.exists()
    unit_a.refresh_from_db()
    assert unit_a.brm == brm


def test_only_an_admin_is_offered_the_reassign_form(client, admin_user, brm, unit_a):
    client.force_login(brm)
    assert "Hand over the relationship" not in body(client.get(f"/units/{unit_a.pk}/"))
    client.force_login(admin_user)
    assert "Hand over the relationship" in body(client.get(f"/units/{unit_a.pk}/"))


# --- The handover pack page -------------------------------------------------------------------


def _between(content: str, start: str, end: str) -> str:
    return content[content.index(start) : content.index(end, content.index(start))]


@pytest.fixture
def pack_world(unit_a, unit_b, brm):
    now = timezone.now()
    hilda = StakeholderFactory.create(unit=unit_a, name="Hilda High", influence=5)
    mona = StakeholderFactory.create(unit=unit_a, name="Mona Met", influence=4)
    StakeholderFactory.create(unit=unit_a, name="Nick Never", influence=4)
    StakeholderFactory.create(unit=unit_a, name="Lou Low", influence=2)
    StakeholderFactory.create(unit=unit_a, name="Ina Inactive", influence=5, active=False)
    StakeholderFactory.create(unit=unit_b, name="Otto Other", influence=5)
    old = InteractionFactory.create(
        unit=unit_a, summary="Budget talk", occurred_at=now - timedelta(days=70)
    )
    old.attendees.add(hilda)
    recent = InteractionFactory.create(
        unit=unit_a, summary="Coffee", occurred_at=now - timedelta(days=10)
    )
    recent.attendees.add(mona)
    InteractionFactory.create(
        unit=unit_a, summary="Ancient history", occurred_at=now - timedelta(days=100)
    )
    InteractionFactory.create(unit=unit_b, summary="Elsewhere", occurred_at=now - timedelta(days=5))
    ActionItemFactory.create(unit=unit_a, title="Ship the laptops", owner=brm)
    ActionItemFactory.create(
        unit=unit_a,
        title="Sign the SLA",
        owner_side=OwnerSide.BUSINESS,
        owner_stakeholder=mona,
    )
    ActionItemFactory.create(
        unit=unit_a, title="Already done", status=ActionStatus.DONE, completed_at=now
    )
    ActionItemFactory.create(unit=unit_b, title="Other unit's promise")


def test_the_pack_lists_high_influence_people_not_met_for_60_days(client, brm, unit_a, pack_world):
    client.force_login(brm)
    page = text(client.get(f"/units/{unit_a.pk}/handover/"))
    not_met = _between(page, "High-influence people not met", "Open promises — IT")
    assert "Hilda High" in not_met
    assert "Nick Never" in not_met and "never met" in not_met
    assert "Mona Met" not in not_met
    assert "Lou Low" not in not_met
    assert "Ina Inactive" not in not_met
    assert "Otto Other" not in not_met


def test_the_pack_lists_open_promises_on_both_sides(client, brm, unit_a, pack_world):
    client.force_login(brm)
    page = text(client.get(f"/units/{unit_a.pk}/handover/"))
    it_side = _between(page, "Open promises — IT", "Open promises — business")
    business = _between(page, "Open promises — business", "Sentiment trend")
    assert "(1)" in it_side and "Ship the laptops" in it_side
    assert "(1)" in business and "Sign the SLA" in business
    assert "Already done" not in page
    assert "Other unit's promise" not in page


def test_the_pack_lists_the_last_90_days_of_contact(client, brm, unit_a, pack_world):
    client.force_login(brm)
    page = text(client.get(f"/units/{unit_a.pk}/handover/"))
    contacts = page[page.index("Contacts in the last 90 days") :]
    assert "(2)" in contacts
    assert "Budget talk" in contacts and "with Hilda High" in contacts
    assert "Coffee" in contacts
    assert "Ancient history" not in contacts
    assert "Elsewhere" not in contacts


def test_the_pack_map_links_stay_within_the_unit(client, brm, unit_a, pack_world):
    client.force_login(brm)
    parser = read_map(client.get(f"/units/{unit_a.pk}/handover/"))
    assert parser.counts()[(5, 3)] == 1  # Hilda; not Otto from Operations nor inactive Ina
    assert _register_names(client, parser.hrefs[(5, 3)]) == {"Hilda High"}


@pytest.mark.parametrize("persona", ["leader", "leader_b"])
def test_business_leaders_never_see_the_pack(client, request, unit_a, pack_world, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/units/{unit_a.pk}/handover/").status_code == 404


# --- CSV exports ------------------------------------------------------------------------------


def test_the_register_export_is_a_csv_download(client, brm, world):
    client.force_login(brm)
    response = client.get("/stakeholders/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="stakeholders.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "Name",
        "Job title",
        "Business unit",
        "Role",
        "Influence",
        "Interest",
        "Email",
        "Phone",
        "Preferred channel",
        "Active",
        "Last met",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Ann Archer", "Otto Ops"}
    ann = by_name["Ann Archer"]
    assert ann[2] == "Finance"
    assert ann[4:6] == ["5", "5"]
    assert ann[10] == timezone.localdate(world["meeting"].occurred_at).isoformat()


def test_the_register_export_gives_the_local_date_of_the_last_meeting(
    client, brm, unit_a, settings
):
    # 00:30 on 30 April in London is still 29 April in UTC: the export must say the 30th.
    settings.TIME_ZONE = "Europe/London"
    london = ZoneInfo("Europe/London")
    with time_machine.travel(datetime(2027, 5, 3, 12, 0, tzinfo=london), tick=False):
        person = StakeholderFactory.create(unit=unit_a, name="Nia Night")
        meeting = InteractionFactory.create(
            unit=unit_a, occurred_at=datetime(2027, 4, 30, 0, 30, tzinfo=london)
        )
        meeting.attendees.add(person)
        client.force_login(brm)
        rows = csv_rows(client.get(f"/stakeholders/export.csv?unit={unit_a.pk}"))
    assert {row[0]: row[10] for row in rows[1:]}["Nia Night"] == "2027-04-30"


def test_the_register_export_follows_the_filters(client, brm, unit_b, world):
    client.force_login(brm)
    rows = csv_rows(client.get(f"/stakeholders/export.csv?unit={unit_b.pk}"))
    assert [row[0] for row in rows[1:]] == ["Otto Ops"]


@pytest.mark.parametrize("query", ["", "?unit={unit_b}"])
def test_a_leader_gets_no_register_export(client, leader, unit_b, world, query):
    client.force_login(leader)
    response = client.get("/stakeholders/export.csv" + query.format(unit_b=unit_b.pk))
    assert response.status_code == 403
    assert "Otto Ops" not in body(response)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)"])
def test_the_register_export_neutralises_formulas(client, brm, unit_a, name):
    StakeholderFactory.create(unit=unit_a, name=name)
    client.force_login(brm)
    rows = csv_rows(client.get("/stakeholders/export.csv"))
    assert [row[0] for row in rows[1:]] == ["'" + name]


def test_the_commitments_export_is_a_csv_download(client, brm, world):
    client.force_login(brm)
    response = client.get("/commitments/export.csv?mine=false")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="commitments.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "Commitment",
        "Business unit",
        "Side",
        "Owner",
        "Due",
        "Status",
        "Outcome",
        "Completed",
    ]
    by_title = {row[0]: row for row in rows[1:]}
    assert set(by_title) == {"Send the roadmap", "Fix the printers"}
    assert by_title["Send the roadmap"][1:4] == ["Finance", "IT", "Bianca Reyes"]


def test_a_leaders_commitments_export_has_only_their_unit(client, leader, world):
    client.force_login(leader)
    rows = csv_rows(client.get("/commitments/export.csv"))
    assert [row[0] for row in rows[1:]] == ["Send the roadmap"]


def test_the_commitments_export_neutralises_formulas(client, brm, unit_a):
    ActionItemFactory.create(unit=unit_a, owner=brm, title="=cmd|' /C calc'!A0")
    client.force_login(brm)
    rows = csv_rows(client.get("/commitments/export.csv"))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"


# --- Lists scoped to the user -----------------------------------------------------------------


def test_a_leader_sees_only_their_unit_in_every_list(client, leader, world):
    client.force_login(leader)
    assert "Operations" not in body(client.get("/units/"))
    assert "Otto Ops" not in body(client.get("/stakeholders/"))
    commitments = body(client.get("/commitments/"))
    assert "Send the roadmap" in commitments
    assert "Fix the printers" not in commitments


def test_a_brms_commitments_default_to_their_own(client, brm, world):
    client.force_login(brm)
    content = body(client.get("/commitments/"))
    assert "Send the roadmap" in content
    assert "Fix the printers" not in content
    assert "Fix the printers" in body(client.get("/commitments/?mine=false"))


def test_the_unit_list_filters_to_my_units(client, brm, world):
    client.force_login(brm)
    content = body(client.get("/units/?mine=true", **HX))
    assert "Finance" in content
    assert "Operations" not in content


def test_the_unit_list_shows_the_figures(client, brm, unit_a, world):
    ActionItemFactory.create(unit=unit_a, due_date=timezone.localdate() - timedelta(days=3))
    client.force_login(brm)
    page = text(client.get("/units/?search=finance"))
    assert "Finance fin Bianca Reyes 1 2 1 overdue" in page


def test_home_sends_each_role_to_its_start_page(client, brm, leader, executive, unit_a):
    client.force_login(brm)
    assert client.get("/")["Location"] == "/relationships/"
    client.force_login(executive)
    assert client.get("/")["Location"] == "/dashboard/"
    client.force_login(leader)
    assert client.get("/")["Location"] == f"/units/{unit_a.pk}/"


def test_the_timeline_shows_held_reviews_and_filed_complaints(client, leader, unit_a):
    from tests.factories import ComplaintFactory, ServiceReviewFactory

    held = timezone.now() - timedelta(days=3)
    ServiceReviewFactory.create(
        unit=unit_a, status="held", scheduled_at=held, held_at=held, outcome="Agreed a new SLA"
    )
    ComplaintFactory.create(unit=unit_a, title="Invoices stuck in the queue", severity="high")
    client.force_login(leader)
    html = client.get(f"/units/{unit_a.pk}/timeline/", HTTP_HX_REQUEST="true").content.decode()
    assert "Service review held" in html and "Agreed a new SLA" in html
    assert "Complaint filed" in html and "Invoices stuck in the queue" in html


def test_the_unit_page_loads_its_change_history_on_demand(client, brm, unit_a, world):
    client.force_login(brm)
    page = body(client.get(f"/units/{unit_a.pk}/"))
    url = f"/units/{unit_a.pk}/history/"
    assert f'id="unit-history" hx-get="{url}" hx-trigger="revealed"' in page
    assert_fragment(client.get(url, **HX), "history-h")
    assert_full_page(client.get(url))  # without JavaScript, a page of its own


def test_a_leader_gets_no_change_history(client, leader, unit_a, world):
    client.force_login(leader)
    assert client.get(f"/units/{unit_a.pk}/history/", **HX).status_code == 404
    assert client.get(f"/units/{unit_a.pk}/history/").status_code == 404
