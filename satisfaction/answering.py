"""The public answer page's logic: which link state, the questionnaire form, and saving it.

A link is looked up by the hash of its token. Saving claims the invitation with one conditional
UPDATE on the invitation row itself (`answered_at IS NULL`, no join) in the same transaction that
writes the answers, so simultaneous submissions save once (the others see "already answered",
HTTP 410) and a failure saves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from brm.core.events import publish
from satisfaction import mailing
from satisfaction.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Invitation,
    Question,
    QuestionKind,
    Response,
)


def invitation_for_link(raw: str) -> Invitation | None:
    """The invitation a survey link belongs to, or None. Every link a person was sent works:
    the stored hash (`Invitation.objects.by_token`) or the invitation's own HMAC link
    (`mailing.link_token`, the one every invitation and reminder email carries)."""
    found = Invitation.objects.by_token(raw)
    if found is not None or not raw or len(raw) > 100:
        return found
    pk, _, _mac = raw.partition(".")
    if not pk.isdigit() or not constant_time_compare(raw, mailing.link_token(int(pk))):
        return None
    return (
        Invitation.objects.select_related("campaign", "campaign__template", "stakeholder__unit")
        .filter(pk=int(pk))
        .first()
    )


class LinkState:
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"


def link_state(invitation: Invitation | None, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if invitation is None or invitation.sent_at is None:
        return LinkState.UNKNOWN
    if invitation.answered_at is not None:
        return LinkState.USED
    if invitation.campaign.status == CampaignStatus.CLOSED:
        return LinkState.CLOSED
    if invitation.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.OK


@dataclass
class Item:
    """One input on the page: a question, for one service when it is a per-service rating."""

    name: str
    question: Question
    service_id: int | None = None
    service_name: str = ""


class AnswerForm(forms.Form):
    """Built from the template's questions and the services the respondent's unit uses."""

    def __init__(
        self, *args: Any, questions: list[Question], services: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items: list[Item] = []
        for q in questions:
            if q.kind == QuestionKind.SERVICE_RATING:
                for service in services:
                    self._add(Item(f"q{q.pk}_s{service.pk}", q, service.pk, service.name), False)
            else:
                self._add(Item(f"q{q.pk}", q), q.required)

    def _add(self, item: Item, required: bool) -> None:
        q = item.question
        if q.kind == QuestionKind.FREE_TEXT:
            field: forms.Field = forms.CharField(
                required=required, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
            )
        else:
            low, high = q.scale or (1, 5)
            field = forms.TypedChoiceField(
                required=required,
                coerce=int,
                choices=[(str(i), str(i)) for i in range(low, high + 1)],
                widget=forms.RadioSelect,
                error_messages={
                    "required": gettext("Please choose a rating."),
                    "invalid_choice": gettext("Choose a whole number from %(low)s to %(high)s.")
                    % {"low": low, "high": high},
                },
            )
        field.label = item.service_name or q.text
        self.fields[item.name] = field
        self.items.append(item)

    def bound_items(self) -> list[tuple[Item, forms.BoundField]]:
        return [(item, self[item.name]) for item in self.items]

    def answers(self, response: Response) -> list[Answer]:
        out = []
        for item in self.items:
            value = self.cleaned_data.get(item.name)
            if value in (None, ""):
                continue
            if item.question.kind == QuestionKind.FREE_TEXT:
                out.append(Answer(response=response, question=item.question, text=value.strip()))
            else:
                out.append(
                    Answer(
                        response=response,
                        question=item.question,
                        service_id=item.service_id,
                        score=value,
                    )
                )
        return out


def form_for(invitation: Invitation, data: Mapping[str, Any] | None = None) -> AnswerForm:
    questions = list(invitation.campaign.template.questions.all())
    services = []
    if any(q.kind == QuestionKind.SERVICE_RATING for q in questions):
        services = list(invitation.stakeholder.unit.services.filter(lifecycle="live"))
    return AnswerForm(data, questions=questions, services=services)


class AlreadyAnswered(Exception):
    """The link was used (or expired) between loading the page and submitting it."""


@transaction.atomic
def submit_response(invitation: Invitation, form: AnswerForm) -> Response:
    """Save a valid form's answers and use up the link, all or nothing."""
    now = timezone.now()
    # The claim is one UPDATE whose WHERE names only the invitation row's own columns. A filter
    # spanning a join (`campaign__status=...`) makes Django write `WHERE id IN (SELECT ... JOIN
    # ...)`; PostgreSQL re-checks a concurrently updated row against the WHERE but not against
    # the subquery's old snapshot, so six simultaneous submits each "claimed" the link. The
    # campaign test is a subquery on the local `campaign_id` column: the row's own conditions
    # (`answered_at IS NULL`) are then re-checked after the lock wait and only one wins.
    open_campaigns = Campaign.objects.filter(status=CampaignStatus.OPEN).values("pk")
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        answered_at__isnull=True,
        sent_at__isnull=False,
        expires_at__gt=now,
        campaign_id__in=open_campaigns,
    ).update(answered_at=now, updated_at=now)
    if not claimed:
        raise AlreadyAnswered
    anonymous = invitation.campaign.anonymous
    response = Response.objects.create(
        campaign_id=invitation.campaign_id,
        # Anonymous: no link to the person, and only the day, so timing cannot point at them.
        invitation=None if anonymous else invitation,
        unit_id=invitation.stakeholder.unit_id,
        submitted_at=now.replace(hour=12, minute=0, second=0, microsecond=0) if anonymous else now,
    )
    answers = Answer.objects.bulk_create(form.answers(response))
    mailing.queue_thank_you(invitation)  # sent after commit, once
    publish(
        "survey.response_received",
        response,
        response.unit_id,
        data=response_event_data(response, answers, anonymous=anonymous),
    )
    invitation.answered_at = now
    return response


def response_event_data(
    response: Response, answers: list[Answer], *, anonymous: bool
) -> dict[str, Any]:
    """What a `survey.response_received` event says about a response (it has no API view).

    An anonymous campaign's event carries no answers and no respondent, only that a response
    arrived for the campaign and unit on that day (`submitted_at` is already rounded), so no
    integration can tie an answer to a person. Otherwise: the invitation, the respondent
    (stakeholder id) and every answer (question id, its text, service, score or text).
    """
    data: dict[str, Any] = {
        "id": response.pk,
        "campaign": response.campaign_id,
        "unit": response.unit_id,
        "submitted_at": response.submitted_at,
        "anonymous": anonymous,
    }
    if anonymous:
        return data
    invitation = response.invitation
    data["invitation"] = invitation.pk if invitation is not None else None
    data["stakeholder"] = invitation.stakeholder_id if invitation is not None else None
    data["answers"] = [
        {
            "question": a.question_id,
            "question_text": a.question.text,
            "service": a.service_id,
            "score": a.score,
            "text": a.text,
        }
        for a in answers
    ]
    return data
