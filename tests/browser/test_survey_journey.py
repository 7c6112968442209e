"""A stakeholder answers a survey on a phone from the emailed link, with no login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from satisfaction.models import Answer, Campaign, CampaignStatus, Invitation, new_token
from tests.factories import (
    BusinessUnitFactory,
    ServiceFactory,
    StakeholderFactory,
    SurveyTemplateFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_stakeholder_answer_on_a_phone_without_login(page, live_server):
    unit = BusinessUnitFactory.create(name="Finance", code="fin")
    ServiceFactory.create(name="ERP", consumers=[unit])
    person = StakeholderFactory.create(unit=unit, name="Rita", email="rita@example.org")
    campaign = Campaign.objects.create(
        template=SurveyTemplateFactory.create(name="How is IT doing?"),
        name="Q1",
        status=CampaignStatus.OPEN,
    )
    campaign.units.set([unit])
    raw, digest = new_token()
    Invitation.objects.create(
        campaign=campaign,
        stakeholder=person,
        token_hash=digest,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/s/{raw}/")
    expect(page.get_by_role("heading", name="How is IT doing?")).to_be_visible()

    # Submitting with nothing chosen shows the errors in place and keeps the comment.
    page.get_by_label("What should IT do differently?").fill("Faster laptop swaps")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Please check the highlighted")).to_be_visible()
    expect(page.get_by_label("What should IT do differently?")).to_have_value("Faster laptop swaps")

    satisfaction = page.get_by_role("radiogroup", name="Overall, how satisfied are you with IT?")
    option = satisfaction.get_by_text("4", exact=True)
    box = option.bounding_box()
    assert box is not None and box["height"] >= 44  # a comfortable tap target
    option.click()
    page.get_by_role(
        "radiogroup", name="How likely are you to recommend IT to a colleague?"
    ).get_by_text("9", exact=True).click()
    page.get_by_role("radiogroup", name="ERP").get_by_text("3", exact=True).click()
    # Nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Thank you, your answers were saved")).to_be_visible()
    assert sorted(Answer.objects.exclude(score=None).values_list("score", flat=True)) == [3, 4, 9]  # type: ignore[type-var]  # no None left

    page.goto(f"{live_server.url}/s/{raw}/")
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
