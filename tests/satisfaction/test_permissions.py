"""Who may build and run surveys is decided in `satisfaction.services` itself.

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403) and writes nothing. Answering a survey needs no login: the token is the
permission (covered in test_answer.py).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from brm.core.errors import ForbiddenAction
from satisfaction import permissions, services
from satisfaction.models import Campaign, CampaignStatus, SurveyTemplate

BUILDERS = ["brm", "admin_user"]
NON_BUILDERS = ["executive", "leader", "integration", "no_role_user"]


@pytest.mark.parametrize("persona", BUILDERS)
def test_it_lets_brms_and_admins_start_a_campaign(request, persona, unit_a, template) -> None:
    actor = request.getfixturevalue(persona)

    services.create_campaign(actor=actor, units=[unit_a], template=template, name="Q3")

    assert Campaign.objects.filter(name="Q3").exists()
    assert permissions.may_run_campaign(actor)


@pytest.mark.parametrize("persona", NON_BUILDERS)
def test_it_refuses_a_campaign_to_other_roles(request, persona, unit_a, template) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.create_campaign(actor=actor, units=[unit_a], template=template, name="Q3")

    assert not Campaign.objects.exists()
    assert not permissions.may_run_campaign(actor)


def test_a_unit_out_of_reach_is_reported_on_the_units_field(brm, unit_b, template) -> None:
    # The role may run campaigns; the chosen audience is wrong: a 400 naming the field.
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(actor=brm, units=[unit_b], template=template, name="Q3")

    assert "units" in exc.value.message_dict
    assert not permissions.may_survey_unit(brm, unit_b)


@pytest.mark.parametrize("persona", ["other_brm", "executive", "leader", "integration"])
def test_it_refuses_changing_someone_elses_campaign(
    request, persona, make_campaign, unit_a
) -> None:
    actor = request.getfixturevalue(persona)
    campaign = make_campaign([unit_a])

    with pytest.raises(ForbiddenAction):
        services.update_campaign(campaign, actor=actor, name="Renamed")
    with pytest.raises(ForbiddenAction):
        services.schedule_campaign(campaign, actor=actor)
    with pytest.raises(ForbiddenAction):
        services.close_campaign(campaign, actor=actor)
    with pytest.raises(ForbiddenAction):
        services.delete_campaign(campaign, actor=actor)

    fresh = Campaign.objects.get(pk=campaign.pk)
    assert (fresh.name, fresh.status) == ("Q1 survey", CampaignStatus.DRAFT)
    assert not permissions.may_change_campaign(actor, campaign)


@pytest.mark.parametrize("persona", ["brm", "admin_user"])
def test_it_lets_the_owner_and_admins_close_a_campaign(
    request, persona, make_campaign, unit_a
) -> None:
    campaign = make_campaign([unit_a])

    services.close_campaign(campaign, actor=request.getfixturevalue(persona))

    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED


@pytest.mark.parametrize("persona", BUILDERS)
def test_it_lets_builders_write_a_questionnaire(request, persona) -> None:
    actor = request.getfixturevalue(persona)

    template = services.save_template(
        SurveyTemplate(name="Pulse"),
        actor=actor,
        questions=[{"kind": "csat", "text": "How satisfied are you?", "position": 1}],
    )

    assert template.questions.count() == 1


@pytest.mark.parametrize("persona", NON_BUILDERS)
def test_it_refuses_questionnaires_to_other_roles(request, persona, template) -> None:
    actor = request.getfixturevalue(persona)
    template.name = "Renamed"

    with pytest.raises(ForbiddenAction):
        services.save_template(SurveyTemplate(name="Pulse"), actor=actor, questions=[])
    with pytest.raises(ForbiddenAction):
        services.save_template(template, actor=actor)
    with pytest.raises(ForbiddenAction):
        services.delete_template(template, actor=actor)

    assert list(SurveyTemplate.objects.values_list("name", flat=True)) == ["Quarterly satisfaction"]


def test_the_api_answers_403_when_an_integration_writes_a_template(as_user, integration) -> None:
    body = {"name": "Pulse", "questions": [{"kind": "csat", "text": "Happy?", "position": 1}]}

    response = as_user(integration).post("/api/v1/survey-templates/", body, format="json")

    assert response.status_code == 403
    assert not SurveyTemplate.objects.filter(name="Pulse").exists()
