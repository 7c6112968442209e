"""People's data in surveys (GDPR): the invitations a person received and their answers where
the survey was not anonymous, and their erasure. Collected by `brm.privacy`.

An anonymous campaign's response is never linked to a person (`Response.invitation` stays
empty), so it is neither exported as theirs nor removed: it cannot be told apart."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from brm.core import privacy
from brm.core.privacy import Person
from satisfaction.models import Answer, Invitation, Response, Skip


def _responses(person: Person) -> QuerySet[Response]:
    """Their responses: linked to their invitation, hence in a campaign that is not anonymous."""
    if person.stakeholder_id is None:
        return Response.objects.none()
    return Response.objects.filter(
        invitation__stakeholder=person.stakeholder_id, campaign__anonymous=False
    )


def export_part(person: Person) -> dict[str, Any]:
    """Invitations (campaign, when sent, reminded, answered) and their non-anonymous answers."""
    sid = person.stakeholder_id
    invitations = Invitation.objects.filter(stakeholder=sid) if sid else Invitation.objects.none()
    return {
        "survey_invitations": privacy.rows(
            invitations,
            "campaign__name",
            "sent_at",
            "reminders_sent",
            "answered_at",
            "expires_at",
        ),
        "survey_answers": privacy.rows(
            Answer.objects.filter(response__in=_responses(person)),
            "response__campaign__name",
            "response__submitted_at",
            "question__text",
            "score",
            "text",
        ),
    }


def erase_part(person: Person) -> dict[str, int]:
    """Their non-anonymous responses are deleted with their answers (an anonymous one has no
    link to them and stays); invitations stay without any personal data, so response rates and
    survey fatigue still count. A second run deletes nothing."""
    _, deleted = _responses(person).delete()
    sid = person.stakeholder_id
    skips = Skip.objects.filter(stakeholder=sid) if sid else Skip.objects.none()
    return {
        "survey_responses": deleted.get(Response._meta.label, 0),
        "survey_answers": deleted.get(Answer._meta.label, 0),
        "survey_skips": privacy.scrub_rows(skips, person, ["detail"]),
    }
