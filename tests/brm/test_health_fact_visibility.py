"""Meeting sentiment and stakeholder analysis are IT's working notes (issue 15).

Each health fact carries a kind and a visibility (`brm.health.facts`); whether a user reads
`analysis` facts is the register's one rule, `stakeholders.permissions.may_see_analysis`. The
unit page, the API and the PDF all filter through it, per role.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from brm.health.components import Component
from brm.health.engine import recompute_health, watermelon_facts
from brm.health.facts import (
    Fact,
    FactKind,
    Visibility,
    load,
    visible_components,
    watermelon_reasons,
)
from brm.health.models import HealthSettings, HealthSnapshot
from tests.brm.health_fixtures import metrics
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

SENTIMENT = "Meeting sentiment -1.0 from 1 contact"
NAMED = "Lee Leader never met (expected every 30 days)"  # the leader is a key contact


@pytest.fixture
def noted(unit_a, leader):
    metrics(unit_a, met=2, missed=0, now=timezone.now())
    InteractionFactory.create(
        unit=unit_a, occurred_at=timezone.now() - timedelta(days=400), sentiment=0
    )
    InteractionFactory.create(
        unit=unit_a, occurred_at=timezone.now() - timedelta(days=3), sentiment=-1
    )
    recompute_health(propose=False)
    return unit_a


def _facts(rows):
    return [f["text"] for row in rows for f in row["facts"]]


def test_the_engine_stores_each_fact_with_its_kind_and_visibility(noted):
    stored = {
        f["text"]: f
        for row in HealthSnapshot.objects.get(unit=noted).components
        for f in row["facts"]
    }
    # The English sentence (the fallback), and the message id and parameters each reader
    # renders in their own language (issue 17).
    assert stored[SENTIMENT] == {
        "text": SENTIMENT,
        "kind": "sentiment",
        "visibility": "analysis",
        "msg": "perception.sentiment",
        "params": {"avg": -1.0, "n": 1, "previous": None},
    }
    assert stored["2 of 2 service periods met their SLA (100%)"]["visibility"] == "everyone"
    assert stored[NAMED]["kind"] == "analysis"


@pytest.mark.parametrize(
    ("who", "reads_notes"),
    [
        ("brm", True),
        ("executive", True),
        ("admin_user", True),
        ("integration", True),
        ("leader", False),
    ],
)
def test_it_shows_the_notes_to_it_and_hides_them_from_the_business(
    who, reads_notes, noted, request
):
    user = request.getfixturevalue(who)
    texts = _facts(visible_components(HealthSnapshot.objects.get(unit=noted), user))
    assert "2 of 2 service periods met their SLA (100%)" in texts
    assert (SENTIMENT in texts) is reads_notes
    assert (NAMED in texts) is reads_notes


def test_a_leaders_unit_page_has_no_sentiment(client, leader, brm, noted):
    client.force_login(leader)
    html = client.get(f"/units/{noted.pk}/health/").content.decode()
    assert "service periods met their SLA" in html
    assert "Meeting sentiment" not in html and "expected every" not in html
    client.force_login(brm)
    html = client.get(f"/units/{noted.pk}/health/").content.decode()
    assert SENTIMENT in html and NAMED in html


def test_it_cards_kept_for_reuse_never_reach_a_leader(client, leader, brm, noted):
    # The component cards are rendered once per key and kept (the template's fragment cache,
    # brm.health.facts.components_key): IT's, rendered first, must not be what a leader reads.
    url = f"/units/{noted.pk}/health/"
    client.force_login(brm)
    first = client.get(url).content.decode()
    assert SENTIMENT in first and "Services and SLAs" in first
    client.force_login(leader)
    html = client.get(url).content.decode()
    assert "service periods met their SLA" in html
    assert "Meeting sentiment" not in html and "expected every" not in html
    assert "Services and SLAs" not in html  # IT's links under each card
    client.force_login(brm)
    again = client.get(url).content.decode()

    def cards(html: str) -> str:
        return html[html.index('id="why-h"') :].split("</section>")[0]

    assert cards(again) == cards(first)
    assert cards(html) != cards(first)


def test_the_api_gives_a_leader_no_sentiment(as_user, leader, brm, noted):
    body = as_user(leader).get(f"/api/v1/health/{noted.pk}/").json()
    texts = [f for c in body["components"] for f in c["facts"]]
    assert "2 of 2 service periods met their SLA (100%)" in texts
    assert not [f for f in texts if "sentiment" in f.lower() or "expected every" in f]
    body = as_user(brm).get(f"/api/v1/health/{noted.pk}/").json()
    assert SENTIMENT in [f for c in body["components"] for f in c["facts"]]


def test_kept_cards_link_the_promises_of_the_snapshot_shown(client, brm, noted):
    # The cards are kept by what they are rendered from; the "Promises" link under them holds
    # the window of the snapshot's own day, so a later snapshot with the same components must
    # link its own window, not the one kept from before.
    url = f"/units/{noted.pk}/health/"
    snapshot = HealthSnapshot.objects.get(unit=noted)
    client.force_login(brm)
    first = client.get(url).content.decode()
    window = f"due_before={snapshot.as_of.isoformat()}"
    assert window in first
    later = snapshot.as_of + timedelta(days=3)
    HealthSnapshot.objects.filter(pk=snapshot.pk).update(as_of=later)
    html = client.get(url).content.decode()
    assert f"due_before={later.isoformat()}" in html and window not in html


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_the_health_list_reads_components_as_text_and_says_what_the_model_says(
    as_user, leader, brm, noted, language
):
    # The list reads the stored components as the database's JSON text (digested, decoded only
    # when not rendered yet): the same facts, per reader, as the decoded model gives.
    snapshot = HealthSnapshot.objects.get(unit=noted)
    # The override also restores the language the requests leave active.
    with translation.override(language):
        for user in (brm, leader, brm):
            body = as_user(user).get("/api/v1/health/", HTTP_ACCEPT_LANGUAGE=language).json()
            (listed,) = [r for r in body["results"] if r["unit"] == noted.pk]
            expected = [
                {**row, "facts": [f["text"] for f in row["facts"]]}
                for row in visible_components(snapshot, user)
            ]
            assert listed["components"] == expected


def _perception(signals, previous, counts):
    return Component(
        40.0,
        data={
            "signals": signals,
            "previous_signals": previous,
            "counts": counts,
            "previous_counts": counts,
            "previous": 40.0,
        },
    )


def test_a_fall_of_sentiment_is_an_it_only_watermelon_reason():
    cfg = HealthSettings.get()
    perception = _perception(
        {"sentiment": 20.0, "surveys": 30.0},
        {"sentiment": 80.0, "surveys": 30.0},
        {"sentiment": 5, "surveys": 5},
    )
    reasons = watermelon_facts(95.0, perception, cfg)
    by_visibility = {f.visibility: f.text for f in reasons}
    assert by_visibility[Visibility.ANALYSIS].startswith("Meeting sentiment fell 60 points")
    assert by_visibility[Visibility.EVERYONE].startswith("How the business feels is 40")
    assert all(f.kind == FactKind.WATERMELON for f in reasons)


def test_a_leader_reads_only_the_watermelon_reasons_they_may(leader, brm, unit_a):
    snapshot = HealthSnapshot(
        unit=unit_a,
        as_of=timezone.localdate(),
        watermelon=True,
        components=[
            {
                "key": "perception",
                "label": "How the business feels",
                "weight": 30,
                "value": 40.0,
                "facts": [
                    Fact("Watermelon (SLAs green): Low", FactKind.WATERMELON).stored(),
                    Fact(
                        "Watermelon (SLAs green): Meeting sentiment fell 60 points",
                        FactKind.WATERMELON,
                        Visibility.ANALYSIS,
                    ).stored(),
                ],
            }
        ],
    )
    assert watermelon_reasons(snapshot, leader) == ["Low"]
    assert watermelon_reasons(snapshot, brm) == ["Low", "Meeting sentiment fell 60 points"]


def test_a_legacy_string_fact_is_it_only():
    assert load("Meeting sentiment +1.0 from 2 contacts")["visibility"] == "analysis"


def test_the_migration_gives_stored_strings_their_kind():
    migration = importlib.import_module("brm.health.migrations.0004_structured_facts")
    assert migration._convert("Meeting sentiment +1.0 from 2 contacts")[0]["kind"] == "sentiment"
    assert migration._convert(NAMED)[0]["visibility"] == "analysis"
    assert migration._convert("1 escalated") == [
        {"text": "1 escalated", "kind": "figure", "visibility": "everyone"}
    ]
    split = migration._convert(
        "Watermelon (SLAs green): Survey satisfaction fell 20 points; "
        "Meeting sentiment fell 30 points"
    )
    assert [f["visibility"] for f in split] == ["everyone", "analysis"]


def test_rendered_rows_are_kept_per_reader_class_language_and_content(noted, brm, leader) -> None:
    # Issue 14: visible_components renders a content once per (language, reader class); the
    # same snapshot read by IT first must still hide IT's notes from the leader after.
    snapshot = HealthSnapshot.objects.get(unit=noted)
    assert SENTIMENT in _facts(visible_components(snapshot, brm))
    assert SENTIMENT not in _facts(visible_components(snapshot, leader))
    assert SENTIMENT in _facts(visible_components(snapshot, brm))

    with translation.override("es"):
        spanish = _facts(visible_components(snapshot, brm))
    assert SENTIMENT not in spanish and len(spanish) == len(
        _facts(visible_components(snapshot, brm))
    )

    # A caller's rows are its own: changing them changes nobody else's.
    mine = visible_components(snapshot, brm)
    mine[0]["facts"].clear()
    mine[0]["label"] = "changed"
    again = visible_components(snapshot, brm)
    assert again[0]["label"] != "changed" and again[0]["facts"]

    # A snapshot rewritten in place (the engine's same-day recompute, or a direct update that
    # leaves updated_at alone) is rendered from its new content.
    rows = snapshot.components
    rows[0]["facts"] = [{"text": "Rewritten", "kind": "sla", "visibility": "everyone"}]
    HealthSnapshot.objects.filter(pk=snapshot.pk).update(components=rows)
    snapshot.refresh_from_db()
    assert _facts(visible_components(snapshot, brm))[0] == "Rewritten"
