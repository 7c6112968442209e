"""Real-browser journey: a leader submits an idea, the BRM assesses, builds the case, approves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from brm.core.roles import Role
from portfolio.models import Demand
from tests.browser.nav import follow_menu
from tests.factories import (
    BusinessUnitFactory,
    StakeholderFactory,
    StrategicObjectiveFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finance():
    brm = UserFactory.create(
        username="bianca", first_name="Bianca", last_name="Reyes", role=Role.BRM
    )
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)
    leader = UserFactory.create(
        username="laura", first_name="Laura", last_name="Finch", role=Role.LEADER
    )
    StakeholderFactory.create(unit=unit, user=leader, name="Laura Finch")
    StrategicObjectiveFactory.create(name="Operational efficiency")
    UserFactory.create(username="catherine", first_name="Catherine", role=Role.EXECUTIVE)
    return unit, brm, leader


def test_it_takes_an_idea_from_a_leader_to_approval(page, live_server, login, finance):
    # The leader submits an idea in business language.
    login(page, "laura")
    follow_menu(page, "Your ideas")
    expect(page.get_by_text("No demands match")).to_be_visible()
    page.get_by_role("link", name="Submit an idea").first.click()
    page.get_by_role("button", name="Submit idea").click()  # empty: errors, nothing saved
    expect(page.locator("#demand-form")).to_contain_text("nothing was saved")
    page.get_by_label("In one line, what do you need?").fill("Automated month-end close")
    page.get_by_label("What is the problem today?").fill("Closing the books takes eight days.")
    page.get_by_label("What should be different").fill("Close in three days.")
    page.get_by_label("This quarter").check()
    page.get_by_role("button", name="Submit idea").click()
    demand = Demand.objects.get()
    expect(page.locator("#demand-status")).to_have_text("Idea")
    expect(page.locator("#messages")).to_contain_text(demand.reference)

    # The BRM starts assessing from the board (a button on the card, swapped in place).
    page.context.clear_cookies()
    login(page, "bianca")
    follow_menu(page, "Demand")
    page.get_by_role("link", name="Board", exact=True).click()
    card = page.locator(f"#card-{demand.pk}")
    card.get_by_role("button", name="Start assessing").click()
    expect(page.locator("#col-assessing")).to_contain_text("1")
    expect(page.locator(f"#card-{demand.pk}")).not_to_contain_text("Start assessing")

    # ... builds the business case: the score appears with its formula explained ...
    page.locator(f"#card-{demand.pk}").get_by_role("link").click()
    page.get_by_role("link", name="Edit business case").click()
    page.get_by_label("Kind of benefit").select_option("cost_saving")
    page.get_by_label("Expected benefit per year").fill("120000")
    page.get_by_label("Estimated cost").fill("80000")
    page.get_by_label("Operational efficiency").check()
    page.get_by_label("Strategic alignment (0-5)").select_option("3")
    page.get_by_label("Delivery risk").select_option("3")
    page.get_by_label("Effort").select_option("2")
    page.get_by_role("button", name="Save business case").click()
    expect(page.locator("#demand-score")).to_have_text("1.69")
    expect(page.locator("#score-explained")).to_contain_text("120,000.00 ÷ 80,000.00")

    # ... and proposes it: the BRM does not approve their own unit's demand ...
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    # ... the portfolio board (the CIO) approves it with htmx, in place.
    page.context.clear_cookies()
    login(page, "catherine")
    page.goto(f"{live_server.url}/demands/{demand.pk}/")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#demand-status")).to_have_text("Approved")
    demand.refresh_from_db()
    assert demand.status == "approved" and demand.priority_score is not None
    assert [c.to_status for c in demand.status_changes.all()] == ["idea", "assessing", "approved"]

    # The sponsor sees where it is.
    page.context.clear_cookies()
    login(page, "laura")
    page.goto(f"{live_server.url}/demands/{demand.pk}/")
    expect(page.locator("#demand-status")).to_have_text("Approved")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
