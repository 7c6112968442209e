"""Who may build and run surveys is decided in `satisfaction.services` itself.

Every test calls a service directly, so the rule holds for any entry point. A refused call raises
`ForbiddenAction` (403) and writes nothing. Answering a survey needs no login: the token is the
permission (covered in test_answer.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
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


# --- Shared questionnaires: survey owners change them, BRMs copy (issue 12) ---------------------


@pytest.fixture
def survey_owner(other_brm):
    """A BRM an administrator made a survey owner (Django's own model permissions)."""
    other_brm.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="satisfaction",
            codename__in=["change_surveytemplate", "delete_surveytemplate"],
        )
    )
    return User.objects.get(pk=other_brm.pk)  # a fresh object: permissions are cached


@pytest.mark.parametrize("persona", ["admin_user", "survey_owner"])
def test_admins_and_survey_owners_change_and_delete_shared_questionnaires(
    request, persona, template
) -> None:
    actor = request.getfixturevalue(persona)
    template.name = "Quarterly satisfaction (v2)"

    services.save_template(template, actor=actor)
    assert SurveyTemplate.objects.get(pk=template.pk).name == "Quarterly satisfaction (v2)"
    assert permissions.may_edit_template(actor, template)
    services.delete_template(template, actor=actor)

    assert not SurveyTemplate.objects.exists()


@pytest.mark.parametrize("persona", ["brm", "executive", "leader", "integration"])
def test_other_roles_and_plain_brms_do_not_change_shared_questionnaires(
    request, persona, template
) -> None:
    actor = request.getfixturevalue(persona)
    template.name = "Mine now"

    with pytest.raises(ForbiddenAction):
        services.save_template(template, actor=actor)
    with pytest.raises(ForbiddenAction):
        services.delete_template(template, actor=actor)

    assert list(SurveyTemplate.objects.values_list("name", flat=True)) == ["Quarterly satisfaction"]
    assert not permissions.may_edit_template(actor, template)


def test_a_brm_copies_a_shared_questionnaire_through_the_api(as_user, brm, template) -> None:
    api = as_user(brm)
    shared = api.get(f"/api/v1/survey-templates/{template.pk}/").json()
    questions = [
        {k: q[k] for k in ("kind", "text", "position") if k in q} for q in shared["questions"]
    ] or [{"kind": "csat", "text": "Happy?", "position": 1}]

    copied = api.post(
        "/api/v1/survey-templates/",
        {"name": "Quarterly satisfaction (Finance)", "questions": questions},
        format="json",
    )
    changed = api.patch(
        f"/api/v1/survey-templates/{template.pk}/", {"name": "Mine now"}, format="json"
    )
    deleted = api.delete(f"/api/v1/survey-templates/{template.pk}/")

    assert copied.status_code == 201
    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert SurveyTemplate.objects.get(pk=template.pk).name == "Quarterly satisfaction"
