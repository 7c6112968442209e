"""A BRM plans a service review, records the meeting, and marks it held, in a real browser."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brm.core.roles import Role
from reviews.models import ReviewStatus, ServiceReview
from tests.browser.nav import follow_menu
from tests.factories import (
    BusinessUnitFactory,
    ServiceFactory,
    ServiceMetricFactory,
    StakeholderFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_brm_plan_and_hold_a_review(page, live_server, login):
    brm = UserFactory.create(
        username="bianca", first_name="Bianca", last_name="Reyes", role=Role.BRM
    )
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm, review_cadence_days=90)
    StakeholderFactory.create(unit=unit, name="Laura Finch", influence=5, interest=5)
    service = ServiceFactory.create(
        name="ERP", consumers=[unit], availability_target=Decimal("99.5")
    )
    first = timezone.localdate().replace(day=1) - timedelta(days=1)
    ServiceMetricFactory.create(
        service=service,
        period_start=first.replace(day=1),
        period_end=first,
        availability=Decimal("99.100"),
        incidents=4,
    )

    login(page, "bianca")
    follow_menu(page, "Reviews")
    schedule = page.locator("#unit-schedule")
    expect(schedule).to_contain_text("Finance")
    schedule.get_by_role("link", name="Plan review").click()

    # Two hours ahead: in the future for planning, and close enough to be held today.
    when = timezone.localtime() + timedelta(hours=2)
    page.get_by_label("When").fill(when.strftime("%Y-%m-%dT%H:%M"))
    expect(page.get_by_label("Laura Finch")).to_be_checked()  # key people are invited
    page.get_by_label("ERP").check()
    page.get_by_label("Agenda").fill("ERP month-end performance")
    page.get_by_role("button", name="Plan review").click()

    expect(page.get_by_role("heading", name="Service review with Finance")).to_be_visible()
    pack = page.locator("#pack-table")
    expect(pack).to_contain_text("ERP")
    expect(pack).to_contain_text("99.100 %")
    expect(pack).to_contain_text("Missed 1/1")

    page.evaluate("window.__marker = 'same page'")
    commitments = page.locator("#commitments")
    commitments.get_by_label("Commitment").fill("Send the ERP capacity plan")
    commitments.get_by_label("Due").fill((date.today() + timedelta(days=14)).isoformat())
    commitments.get_by_role("button", name="Add").click()
    expect(page.locator("#commitments")).to_contain_text("Commitment recorded.")
    expect(page.locator("#commitments")).to_contain_text("Send the ERP capacity plan")
    assert page.evaluate("window.__marker") == "same page"  # swapped in place

    page.get_by_label("Minutes", exact=True).fill(
        "Month-end slowdowns discussed; capacity to be added."
    )
    page.get_by_role("button", name="Mark held and plan the next").click()
    expect(page.locator("#messages")).to_contain_text("Review marked held")
    expect(page.locator("h1")).to_contain_text("Held")

    review = ServiceReview.objects.get(status=ReviewStatus.HELD)
    assert review.minutes.startswith("Month-end slowdowns")
    assert review.performance_pack["services"][0]["availability_avg"] == 99.1  # type: ignore[index]
    assert review.action_items.get().title == "Send the ERP capacity plan"
    following = ServiceReview.objects.get(status=ReviewStatus.PLANNED)
    assert following.scheduled_at == review.scheduled_at + timedelta(days=90)
