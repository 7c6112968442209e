"""Helpers for survey tests: a campaign sent to people, and links with their raw tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from satisfaction.models import Answer, Campaign, Invitation, Question, Response, new_token
from tests.factories import StakeholderFactory, SurveyTemplateFactory


@pytest.fixture
def template(db):
    return SurveyTemplateFactory.create(name="Quarterly satisfaction")


@pytest.fixture
def make_campaign(template, brm):
    def _make(units, **fields):
        campaign = Campaign.objects.create(
            template=fields.pop("template", template),
            name=fields.pop("name", "Q1 survey"),
            owner=fields.pop("owner", brm),
            **fields,
        )
        campaign.units.set(units)
        return campaign

    return _make


@pytest.fixture
def sent_link():
    """`sent_link(campaign, stakeholder)` -> (invitation, raw token) as if its email went out."""

    def _make(campaign, stakeholder, **fields):
        raw, digest = new_token()
        now = timezone.now()
        invitation = Invitation.objects.create(
            campaign=campaign,
            stakeholder=stakeholder,
            token_hash=digest,
            sent_at=fields.pop("sent_at", now),
            expires_at=fields.pop("expires_at", now + timedelta(days=21)),
            **fields,
        )
        return invitation, raw

    return _make


@pytest.fixture
def add_response():
    """`add_response(campaign, unit, csat=4, nps=9, text="...", services={svc: 3})`."""

    def _make(campaign, unit, *, csat=None, nps=None, text="", services=None, at=None):
        questions = {q.kind: q for q in Question.objects.filter(template=campaign.template_id)}
        response = Response.objects.create(
            campaign=campaign, unit=unit, submitted_at=at or timezone.now()
        )
        rows = []
        if csat is not None:
            rows.append(Answer(response=response, question=questions["csat"], score=csat))
        if nps is not None:
            rows.append(Answer(response=response, question=questions["nps"], score=nps))
        if text:
            rows.append(Answer(response=response, question=questions["free_text"], text=text))
        for service, score in (services or {}).items():
            rows.append(
                Answer(
                    response=response,
                    question=questions["service_rating"],
                    service=service,
                    score=score,
                )
            )
        Answer.objects.bulk_create(rows)
        return response

    return _make


@pytest.fixture
def person(unit_a):
    return StakeholderFactory.create(unit=unit_a, name="Rita Respondent", email="rita@example.org")
