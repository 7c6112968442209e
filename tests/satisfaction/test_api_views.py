"""API and pages: who may build, read and see what; no path shows anonymous single answers."""

from __future__ import annotations

import pytest

from satisfaction.models import Campaign, CampaignStatus
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_it_lets_a_brm_create_a_campaign_for_their_unit(as_user, brm, unit_a, template):
    response = as_user(brm).post(
        "/api/v1/campaigns/",
        {"name": "Q3", "template": template.pk, "units": [unit_a.pk], "schedule": "quarterly"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Campaign.objects.get().owner == brm


def test_it_refuses_a_campaign_for_another_brms_unit(as_user, brm, unit_b, template):
    response = as_user(brm).post(
        "/api/v1/campaigns/", {"name": "Q3", "template": template.pk, "units": [unit_b.pk]}
    )
    assert response.status_code == 400
    assert "units" in response.json()


@pytest.mark.parametrize("persona", ["executive", "leader"])
def test_it_forbids_read_only_roles_to_create(request, as_user, persona, unit_a, template):
    user = request.getfixturevalue(persona)
    response = as_user(user).post(
        "/api/v1/campaigns/", {"name": "Q3", "template": template.pk, "units": [unit_a.pk]}
    )
    assert response.status_code == 403


def test_it_hides_campaigns_from_leaders_in_the_api(as_user, leader, make_campaign, unit_a):
    campaign = make_campaign([unit_a])
    assert as_user(leader).get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404


def test_it_forbids_another_brm_to_change_a_campaign(as_user, other_brm, make_campaign, unit_a):
    campaign = make_campaign([unit_a])
    response = as_user(other_brm).patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "x"})
    assert response.status_code == 403


def test_it_answers_409_when_scheduling_with_nobody_to_ask(as_user, brm, make_campaign, unit_a):
    campaign = make_campaign([unit_a])
    assert as_user(brm).post(f"/api/v1/campaigns/{campaign.pk}/schedule/").status_code == 409


def test_it_schedules_and_previews_the_audience(as_user, brm, make_campaign, unit_a):
    StakeholderFactory.create(unit=unit_a)
    campaign = make_campaign([unit_a])
    client = as_user(brm)
    assert len(client.get(f"/api/v1/campaigns/{campaign.pk}/audience/").json()["selected"]) == 1
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/schedule/").json()["status"] == "scheduled"


def test_it_gives_aggregates_only_for_anonymous_campaigns(
    as_user, executive, make_campaign, add_response, unit_a
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=True)
    for i in range(5):
        add_response(campaign, unit_a, csat=4, nps=9, text=f"secret {i}")
    body = as_user(executive).get(f"/api/v1/survey-results/{campaign.pk}/").content.decode()
    assert "secret" not in body
    assert '"csat":4.0' in body.replace(" ", "")
    listing = as_user(executive).get("/api/v1/survey-results/").content.decode()
    assert "secret" not in listing


def test_it_gives_a_leader_their_own_units_figures_only(
    as_user, leader, make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN)
    add_response(campaign, unit_a, csat=5)
    add_response(campaign, unit_b, csat=1)
    data = as_user(leader).get(f"/api/v1/survey-results/{campaign.pk}/").json()
    assert (
        data["overall"]["csat"] == 5.0 and data["by_unit"] == [] and data["response_rate"] is None
    )


def test_it_hides_other_units_results_from_a_leader(as_user, leader, make_campaign, unit_b):
    campaign = make_campaign([unit_b], status=CampaignStatus.OPEN)
    assert as_user(leader).get(f"/api/v1/survey-results/{campaign.pk}/").status_code == 404


def test_it_needs_credentials(api):
    assert api.get("/api/v1/campaigns/").status_code == 401


# --- Pages ----------------------------------------------------------------------------------


def test_it_lets_a_brm_build_a_draft_and_preview_the_audience(client, brm, unit_a, template):
    StakeholderFactory.create(unit=unit_a, name="Pat Person")
    client.force_login(brm)
    response = client.post(
        "/surveys/new/",
        {
            "name": "Q3 pulse",
            "template": template.pk,
            "units": [unit_a.pk],
            "schedule": "once",
            "max_reminders": 2,
            "reminder_days": 5,
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Pat Person" in page and "Who it reaches" in page


def test_it_keeps_input_when_the_builder_form_is_invalid(client, brm, unit_a, template):
    client.force_login(brm)
    response = client.post("/surveys/new/", {"name": "Keep me", "template": template.pk})
    assert response.status_code == 200
    assert b"Keep me" in response.content and Campaign.objects.count() == 0


def test_it_forbids_executives_to_build(client, executive):
    client.force_login(executive)
    assert client.get("/surveys/new/").status_code == 403


def test_it_polls_the_live_response_rate_as_a_fragment(
    client, brm, make_campaign, sent_link, unit_a, person
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    sent_link(campaign, person)
    client.force_login(brm)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 5s"' in page
    fragment = client.get(f"/surveys/{campaign.pk}/rate/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "0 answered of 1 sent" in fragment


def test_it_sends_leaders_to_their_units_results(
    client, leader, make_campaign, add_response, unit_a, unit_b
):
    campaign = make_campaign([unit_a, unit_b], status=CampaignStatus.OPEN)
    add_response(campaign, unit_b, csat=1, text="Other unit said this")
    client.force_login(leader)
    assert client.get(campaign.get_absolute_url()).status_code == 302
    page = client.get(f"/surveys/{campaign.pk}/results/").content.decode()
    assert "Other unit said this" not in page and "your unit only" in page


def test_it_hides_a_campaign_of_another_unit_from_a_leader(client, leader_b, make_campaign, unit_a):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    client.force_login(leader_b)
    assert client.get(f"/surveys/{campaign.pk}/results/").status_code == 404


def test_it_lists_campaigns_with_an_empty_state(client, brm):
    client.force_login(brm)
    page = client.get("/surveys/").content.decode()
    assert "No surveys here" in page


def test_it_ignores_nul_bytes_in_the_campaign_search(client, brm):
    client.force_login(brm)
    assert client.get("/surveys/?search=%00").status_code == 200
