"""The public answer page: no login, one use, expiry, forged links, validation, CSRF."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from satisfaction.models import Answer, CampaignStatus, Invitation, Question, Response
from tests.factories import ServiceFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(make_campaign, sent_link, unit_a, person):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    return sent_link(campaign, person)


def _url(raw: str) -> str:
    return reverse("satisfaction:answer", args=[raw])


def _valid(campaign) -> dict[str, str]:
    q = {x.kind: x for x in Question.objects.filter(template=campaign.template)}
    return {f"q{q['csat'].pk}": "4", f"q{q['nps'].pk}": "9", f"q{q['free_text'].pk}": "Great"}


def test_it_shows_the_survey_without_login(client, link):
    invitation, raw = link
    response = client.get(_url(raw))
    assert response.status_code == 200
    assert b"<fieldset" in response.content and b"<legend" in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_it_saves_answers_once_and_uses_up_the_link(client, link):
    invitation, raw = link
    response = client.post(_url(raw), _valid(invitation.campaign))
    assert response.status_code == 200
    assert b"Thank you" in response.content
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 3
    again = client.post(_url(raw), _valid(invitation.campaign))
    assert again.status_code == 410
    assert b"already answered" in again.content
    assert Response.objects.count() == 1


def test_it_refuses_a_claimed_link_even_if_the_page_was_loaded_before(client, link):
    invitation, raw = link
    # Another tab submitted between this page load and this submit.
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=timezone.now())
    response = client.post(_url(raw), _valid(invitation.campaign))
    assert response.status_code == 410
    assert Response.objects.count() == 0


def test_it_saves_nothing_if_the_claim_is_lost_inside_the_transaction(link):
    from satisfaction import answering

    invitation, _raw = link
    form = answering.form_for(invitation, _valid(invitation.campaign))
    assert form.is_valid()
    answering.submit_response(invitation, form)
    with pytest.raises(answering.AlreadyAnswered):
        answering.submit_response(invitation, form)
    assert Response.objects.count() == 1 and Answer.objects.count() == 3


def test_it_says_an_expired_link_is_gone(client, link):
    invitation, raw = link
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        response = client.get(_url(raw))
    assert response.status_code == 410
    assert b"expired" in response.content


def test_it_says_a_closed_survey_is_gone(client, link):
    invitation, raw = link
    invitation.campaign.status = CampaignStatus.CLOSED
    invitation.campaign.save()
    assert client.get(_url(raw)).status_code == 410


def test_it_gives_a_friendly_404_for_a_tampered_token_and_names_nobody(client, link):
    invitation, raw = link
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    response = client.get(_url(tampered))
    assert response.status_code == 404
    assert b"could not find this survey link" in response.content
    assert invitation.stakeholder.name.encode() not in response.content
    assert invitation.stakeholder.unit.name.encode() not in response.content


def test_it_finds_nothing_from_the_stored_hash(client, link):
    invitation, _raw = link
    assert client.get(_url(invitation.token_hash)).status_code == 404


def test_it_records_answers_against_the_token_owner_only(
    client, make_campaign, sent_link, unit_a, person
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN)
    mine, my_raw = sent_link(campaign, person)
    other = StakeholderFactory.create(unit=unit_a, email="other@example.org")
    theirs, _ = sent_link(campaign, other)
    client.post(_url(my_raw), _valid(campaign))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.answered_at is not None and theirs.answered_at is None
    assert Response.objects.get().invitation == mine


def test_it_keeps_input_and_saves_nothing_when_a_required_answer_is_missing(client, link):
    invitation, raw = link
    data = _valid(invitation.campaign)
    csat_key = next(k for k in data if data[k] == "4")
    del data[csat_key]
    response = client.post(_url(raw), data)
    assert response.status_code == 400
    assert b"Please choose a rating" in response.content
    assert b"Great" in response.content  # the comment is kept
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_it_rejects_a_rating_out_of_range(client, link):
    invitation, raw = link
    data = _valid(invitation.campaign)
    nps_key = next(k for k in data if data[k] == "9")
    data[nps_key] = "11"
    response = client.post(_url(raw), data)
    assert response.status_code == 400
    assert b"from 0 to 10" in response.content
    assert Answer.objects.count() == 0


def test_it_asks_per_service_ratings_for_the_units_services(client, link, unit_a):
    invitation, raw = link
    erp = ServiceFactory.create(name="ERP", consumers=[unit_a])
    ServiceFactory.create(name="Not ours")
    page = client.get(_url(raw)).content.decode()
    assert "ERP" in page and "Not ours" not in page
    q = Question.objects.get(template=invitation.campaign.template, kind="service_rating")
    data = _valid(invitation.campaign) | {f"q{q.pk}_s{erp.pk}": "2"}
    client.post(_url(raw), data)
    assert Answer.objects.get(service=erp).score == 2


def test_it_stores_the_answer_when_the_broker_is_down(link, django_capture_on_commit_callbacks):
    invitation, raw = link
    client = Client()
    with (
        mock.patch("brm.core.delivery.deliver_email.delay", side_effect=OSError("broker down")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(_url(raw), _valid(invitation.campaign))
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert Response.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.answered_at is not None and invitation.thanked_at is None


def test_it_accepts_a_fresh_visitor_with_csrf_checks_on(link):
    invitation, raw = link
    client = Client(enforce_csrf_checks=True)
    page = client.get(_url(raw))
    token = page.cookies["csrftoken"].value
    assert token
    import re

    middleware_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert middleware_token is not None
    response = client.post(
        _url(raw),
        _valid(invitation.campaign) | {"csrfmiddlewaretoken": middleware_token.group(1).decode()},
    )
    assert response.status_code == 200
    assert Response.objects.count() == 1


def test_it_unlinks_anonymous_answers_from_the_person(
    client, make_campaign, sent_link, unit_a, person
):
    campaign = make_campaign([unit_a], status=CampaignStatus.OPEN, anonymous=True)
    invitation, raw = sent_link(campaign, person)
    client.post(_url(raw), _valid(campaign))
    response = Response.objects.get()
    assert response.invitation is None
    assert response.submitted_at.minute == 0 and response.submitted_at.hour == 12
    invitation.refresh_from_db()
    assert invitation.answered_at is not None  # still counts for response rate and fatigue
