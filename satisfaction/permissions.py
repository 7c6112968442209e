"""Who may build and run surveys: each rule once, asked by services and pages alike.

`satisfaction.services` refuses with `ForbiddenAction` (403) when these say no; views, forms,
serializers and templates ask the same functions for what to offer. Answering a survey needs no
login: the invitation's token is the permission (`satisfaction.answering`), by design.
`actor` None is the system (the dispatch and pulse jobs) and may act everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import Role, role_of
from stakeholders.permissions import may_edit_unit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from satisfaction.models import Campaign, SurveyTemplate
    from stakeholders.models import BusinessUnit

# Relationship managers and administrators run surveys; executives read the results, leaders
# see their own unit's, integrations neither build nor send.
SURVEY_ROLES = frozenset({Role.ADMIN, Role.BRM})
# Survey owners: the people an administrator entrusts with the organisation's shared
# questionnaires, by giving them Django's own model permissions in the admin (to a user or to a
# group such as "Survey owners"). Changing a shared questionnaire changes every BRM's next
# campaign and breaks the comparability of CSAT/NPS over time, so it is not every BRM's call.
TEMPLATE_CHANGE_PERMISSION = "satisfaction.change_surveytemplate"
TEMPLATE_DELETE_PERMISSION = "satisfaction.delete_surveytemplate"


def may_build_surveys(actor: AnyUser | None) -> bool:
    """Write a new questionnaire (a survey template, also a copy of an existing one: POST it
    under a new name) and start campaigns: relationship managers and administrators."""
    return actor is None or role_of(actor) in SURVEY_ROLES


def may_edit_template(actor: AnyUser | None, template: SurveyTemplate) -> bool:
    """Change a shared questionnaire: administrators and survey owners (who hold
    `satisfaction.change_surveytemplate`); other BRMs copy it instead."""
    if actor is None or role_of(actor) == Role.ADMIN:
        return True
    return role_of(actor) in SURVEY_ROLES and actor.has_perm(TEMPLATE_CHANGE_PERMISSION)


def may_delete_template(actor: AnyUser | None, template: SurveyTemplate) -> bool:
    """Delete a questionnaire: administrators and survey owners holding
    `satisfaction.delete_surveytemplate`."""
    if actor is None or role_of(actor) == Role.ADMIN:
        return True
    return role_of(actor) in SURVEY_ROLES and actor.has_perm(TEMPLATE_DELETE_PERMISSION)


def may_run_campaign(actor: AnyUser | None) -> bool:
    """Start a campaign (which units it may reach is `may_survey_unit`)."""
    return may_build_surveys(actor)


def may_survey_unit(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Send a campaign to the unit's people: administrators any unit, BRMs the units they manage."""
    if actor is None or role_of(actor) == Role.ADMIN:
        return True
    return role_of(actor) in SURVEY_ROLES and may_edit_unit(actor, unit)


def may_change_campaign(actor: AnyUser | None, campaign: Campaign) -> bool:
    """Edit, schedule or close a campaign: administrators, and the BRM who owns it."""
    return actor is None or campaign.is_editable_by(actor)
