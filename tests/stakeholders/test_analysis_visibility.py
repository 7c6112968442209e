"""Stakeholder analysis and meeting sentiment are IT's working notes (issue 15).

A business leader sees people and contact history, never influence/interest, the power/interest
label, the map or how IT read a meeting: not in pages, the API or exports. One rule,
`stakeholders.permissions.may_see_analysis`, asked everywhere.
"""

from __future__ import annotations

import pytest

from stakeholders.models import Stakeholder
from stakeholders.permissions import may_see_analysis
from tests.conftest import token_client
from tests.factories import InteractionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(unit_a, leader):
    colleague = StakeholderFactory.create(
        unit=unit_a, name="Cora Colleague", influence=5, interest=2
    )
    meeting = InteractionFactory.create(unit=unit_a, summary="Budget talk", sentiment=-2)
    meeting.attendees.add(colleague)
    return colleague, meeting


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("brm", True),
        ("executive", True),
        ("admin_user", True),
        ("integration", True),
        ("leader", False),
    ],
)
def test_the_rule_per_role(request, persona, sees):
    assert may_see_analysis(request.getfixturevalue(persona)) is sees


@pytest.mark.parametrize(
    "path", ["/stakeholders/", "/stakeholders/map/", "/stakeholders/export.csv"]
)
def test_a_leader_may_not_open_the_analysis_pages(client, leader, people, path):
    client.force_login(leader)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize(
    "path", ["/stakeholders/", "/stakeholders/map/", "/stakeholders/export.csv"]
)
def test_it_staff_open_the_analysis_pages(client, brm, people, path):
    client.force_login(brm)
    assert client.get(path).status_code == 200


def test_the_unit_page_shows_a_leader_people_and_meetings_without_analysis(
    client, leader, unit_a, people
):
    client.force_login(leader)
    html = client.get(f"/units/{unit_a.pk}/").content.decode()
    assert "Cora Colleague" in html and "Budget talk" in html
    for word in (
        "Manage closely",
        "Keep satisfied",
        "Keep informed",
        "Monitor",
        'title="Sentiment"',
    ):
        assert word not in html


def test_the_unit_page_shows_it_staff_the_analysis(client, brm, unit_a, people):
    client.force_login(brm)
    html = client.get(f"/units/{unit_a.pk}/").content.decode()
    assert 'title="Sentiment"' in html
    assert 'title="Influence / interest"' in html


def test_a_person_page_hides_the_scores_from_a_leader(client, leader, people):
    colleague, _ = people
    client.force_login(leader)
    response = client.get(f"/stakeholders/{colleague.pk}/")
    if response.status_code == 200:
        html = response.content.decode()
        assert "Influence" not in html and "Engagement" not in html
    else:
        assert response.status_code in (403, 404)


def test_the_api_omits_analysis_and_sentiment_for_a_leader(leader, people):
    api = token_client(leader)
    people_rows = api.get("/api/v1/stakeholders/").json()["results"]
    assert people_rows and all("influence" not in r and "interest" not in r for r in people_rows)
    meetings = api.get("/api/v1/interactions/").json()["results"]
    assert meetings and all("sentiment" not in r for r in meetings)


def test_the_api_gives_it_staff_analysis_and_sentiment(brm, people):
    api = token_client(brm)
    rows = api.get("/api/v1/stakeholders/").json()["results"]
    assert all("influence" in r and "interest" in r for r in rows)
    assert all("sentiment" in r for r in api.get("/api/v1/interactions/").json()["results"])


def test_a_leader_cannot_probe_scores_through_filters_or_ordering(leader, unit_a, people):
    api = token_client(leader)
    everyone = Stakeholder.objects.filter(unit=unit_a).count()
    assert api.get("/api/v1/stakeholders/?influence_min=5").json()["count"] == everyone
    assert api.get("/api/v1/stakeholders/?interest=2").json()["count"] == everyone
    names = [
        r["name"] for r in api.get("/api/v1/stakeholders/?ordering=-influence").json()["results"]
    ]
    assert names == [r["name"] for r in api.get("/api/v1/stakeholders/").json()["results"]]
    assert api.get("/api/v1/interactions/?sentiment=1").json()["count"] == 1
