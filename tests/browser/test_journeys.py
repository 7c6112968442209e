"""One real-browser journey per role, through the pages a person would use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brm.core.roles import Role
from stakeholders.models import ActionItem, Interaction
from tests.browser.nav import follow_menu
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    InteractionFactory,
    StakeholderFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_brm_find_a_stakeholder_and_log_a_meeting(page, live_server, login):
    brm = UserFactory.create(
        username="bianca", first_name="Bianca", last_name="Reyes", role=Role.BRM
    )
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)
    StakeholderFactory.create(unit=unit, name="Laura Finch", influence=5, interest=5)
    StakeholderFactory.create(unit=unit, name="Omar Quist")
    for n in range(30):
        StakeholderFactory.create(unit=BusinessUnitFactory.create(), name=f"Other Person {n}")

    login(page, "bianca")
    follow_menu(page, "Stakeholders")
    page.locator("main").get_by_label("Search").fill("Laura")  # not the header's search
    # Live search: the results region is swapped without a page load.
    results = page.locator("#stakeholder-results")
    expect(results.get_by_role("link", name="Laura Finch")).to_be_visible()
    expect(results.get_by_role("link", name="Other Person 1", exact=True)).to_have_count(0)
    assert "search=Laura" in page.url  # bookmarkable

    results.get_by_role("link", name="Finance").click()
    expect(page.get_by_role("heading", name="Finance")).to_be_visible()

    form = page.locator("#log-form")
    form.get_by_label("Kind").select_option("formal_meeting")
    form.get_by_label("Summary").fill("Quarterly priorities with the CFO office")
    form.get_by_label("Laura Finch").check()
    form.get_by_text("Positive", exact=True).click()
    form.get_by_label("Commitment").first.fill("Send the ERP upgrade plan")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    form.get_by_label("Due").first.fill(due)
    page.evaluate("window.__marker = 'same page'")
    form.get_by_role("button", name="Log meeting").click()

    expect(page.locator("#log-form")).to_contain_text("Meeting logged")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Quarterly priorities with the CFO office")
    expect(timeline).to_contain_text("Send the ERP upgrade plan")
    assert page.evaluate("window.__marker") == "same page"  # no full reload happened

    interaction = Interaction.objects.get(summary="Quarterly priorities with the CFO office")
    assert interaction.sentiment == 1
    assert [s.name for s in interaction.attendees.all()] == ["Laura Finch"]
    assert ActionItem.objects.get(interaction=interaction).due_date.isoformat() == due


def test_it_keeps_input_and_shows_errors_in_place(page, live_server, login):
    brm = UserFactory.create(username="bianca", role=Role.BRM)
    unit = BusinessUnitFactory.create(brm=brm)
    login(page, "bianca")
    page.goto(f"{live_server.url}/units/{unit.pk}/")
    form = page.locator("#log-form")
    form.get_by_label("Kind").select_option("call")
    form.get_by_label("Commitment").first.fill("A promise without a date")
    form.get_by_role("button", name="Log meeting").click()
    expect(page.locator("#log-form")).to_contain_text("This field is required")
    expect(page.locator("#log-form")).to_contain_text("A commitment needs a due date")
    expect(page.locator("#log-form").get_by_label("Commitment").first).to_have_value(
        "A promise without a date"
    )
    assert Interaction.objects.count() == 0


def test_it_shows_a_leader_their_unit_and_the_promises_it_made(page, live_server, login):
    unit = BusinessUnitFactory.create(name="Sales")
    other = BusinessUnitFactory.create(name="Secret Unit")
    leader = UserFactory.create(username="lena", role=Role.LEADER)
    StakeholderFactory.create(unit=unit, user=leader, name="Lena Leader")
    InteractionFactory.create(unit=unit, summary="Pipeline review", notes="PRIVATE BRM NOTE")
    ActionItemFactory.create(unit=unit, title="Fix the CRM sync", due_date=timezone.localdate())
    ActionItemFactory.create(unit=other, title="Other unit promise")

    login(page, "lena")
    expect(page.get_by_role("heading", name="Sales")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Pipeline review")
    expect(page.locator("body")).not_to_contain_text("PRIVATE BRM NOTE")
    page.get_by_role("link", name="Promises IT made").click()
    expect(page.locator("#commitment-results")).to_contain_text("Fix the CRM sync")
    expect(page.locator("body")).not_to_contain_text("Other unit promise")
    response = page.goto(f"{live_server.url}/units/{other.pk}/")
    assert response is not None and response.status == 404


def test_it_lets_an_executive_read_the_map_but_not_log_meetings(page, live_server, login):
    UserFactory.create(username="cio", role=Role.EXECUTIVE)
    unit = BusinessUnitFactory.create(name="Operations")
    StakeholderFactory.create(unit=unit, name="Pat Power", influence=5, interest=5)
    login(page, "cio")
    follow_menu(page, "Stakeholder map")
    cell = page.locator("#stakeholder-grid")
    expect(cell.get_by_role("link", name="Pat Power")).to_be_visible()
    page.get_by_role("link", name="1 stakeholder with influence 5 and interest 5").click()
    expect(page.locator("#stakeholder-results")).to_contain_text("Pat Power")
    page.goto(f"{live_server.url}/units/{unit.pk}/")
    expect(page.locator("#log-form")).to_have_count(0)
