"""The CIO follows a watermelon from the dashboard to the survey comments behind it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brm.core.roles import Role
from brm.health.engine import recompute_health
from satisfaction.models import Answer, Campaign, Response
from tests.brm.health_fixtures import metrics
from tests.factories import BusinessUnitFactory, SurveyTemplateFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_the_cio_drill_from_a_watermelon_to_the_survey_comments(page, live_server, login):
    UserFactory.create(username="cio", first_name="Catherine", role=Role.EXECUTIVE)
    sales = BusinessUnitFactory.create(name="Sales")
    BusinessUnitFactory.create(name="Quiet Unit")
    metrics(sales, met=5, missed=0, name="CRM", now=timezone.now())
    template = SurveyTemplateFactory.create(questions=["csat", "free_text"])
    campaign = Campaign.objects.create(template=template, name="Q3 relationship survey")
    csat, text = template.questions.get(kind="csat"), template.questions.get(kind="free_text")
    for score, comment in ((1, "Nobody tells us when the CRM will be fixed"), (2, "")):
        response = Response.objects.create(
            campaign=campaign, unit=sales, submitted_at=timezone.now() - timedelta(days=3)
        )
        Answer.objects.create(response=response, question=csat, score=score)
        Answer.objects.create(response=response, question=text, text=comment)
    recompute_health(propose=False)

    login(page, "cio")
    expect(page.get_by_role("heading", name="Relationship health")).to_be_visible()
    watermelons = page.locator("#watermelons")
    expect(watermelons).to_contain_text("Sales")
    expect(watermelons).not_to_contain_text("Quiet Unit")
    watermelons.get_by_role("link", name="Sales").click()

    expect(page.get_by_role("alert")).to_contain_text("Watermelon")
    expect(page.locator(".component-delivery")).to_contain_text("5 of 5 service periods")
    expect(page.locator(".component-perception")).to_contain_text("CSAT 1.5")
    comments = page.locator("#comments")
    expect(comments).to_contain_text("Nobody tells us when the CRM will be fixed")
    comments.get_by_role("link", name="Q3 relationship survey").click()
    expect(page.locator("body")).to_contain_text("Nobody tells us when the CRM will be fixed")
