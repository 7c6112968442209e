"""Real-browser journeys for complaints: a leader files one, a BRM works it to resolution."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from brm.core import delivery
from brm.core.roles import Role
from complaints import services, workflow
from complaints.models import Complaint
from tests.browser.nav import follow_menu
from tests.factories import BusinessUnitFactory, StakeholderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def send_in_process(monkeypatch):
    # No worker here: queued emails are sent in the server thread, into the test outbox.
    monkeypatch.setattr(delivery.deliver_email, "delay", lambda pk: delivery.deliver(pk))


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
    return unit, brm, leader


def test_it_lets_a_leader_file_a_complaint_and_follow_it(
    page, live_server, login, finance, mailoutbox
):
    login(page, "laura")
    follow_menu(page, "Your complaints")
    expect(page.get_by_text("No complaints from your unit")).to_be_visible()
    page.get_by_role("link", name="Raise a complaint").first.click()

    page.get_by_role("button", name="Send complaint").click()  # empty: errors, nothing saved
    expect(page.locator("#complaint-form")).to_contain_text("nothing was saved")
    assert not Complaint.objects.exists()

    page.get_by_label("In one line, what is wrong?").fill("Month-end reports are late")
    page.get_by_label("What happened?").fill("Third month running the reports came two days late.")
    page.get_by_label("High", exact=False).check()
    page.get_by_label("What would put it right", exact=False).fill("Reports by day 2")
    page.get_by_role("button", name="Send complaint").click()

    complaint = Complaint.objects.get()
    expect(page.get_by_role("heading", name="Month-end reports are late")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text(complaint.reference)
    expect(page.locator("#complaint-status")).to_have_text("Received")
    expect(page.locator("#complaint-timeline")).to_contain_text("Complaint raised")
    assert complaint.severity == "high" and complaint.remedy_requested == "Reports by day 2"
    [ack] = mailoutbox
    assert ack.to == ["laura@example.org"] and complaint.reference in ack.subject

    follow_menu(page, "Your complaints")
    expect(page.locator("#complaint-results")).to_contain_text("Month-end reports are late")


def test_it_lets_a_brm_work_a_complaint_to_resolution(
    page, live_server, login, finance, mailoutbox
):
    unit, _, leader = finance
    complaint = services.file_complaint(
        services.ComplaintInput(
            unit=unit, title="VPN drops every hour", description="Field staff.", severity="high"
        ),
        actor=leader,
    )
    login(page, "bianca")
    follow_menu(page, "Complaints")
    queue = page.locator("#complaint-results")
    queue.get_by_role("link", name="VPN drops every hour").click()
    page.evaluate("window.__marker = 'same page'")

    steps = [
        ("Acknowledge", "We are on it.", "Acknowledged"),
        ("Start investigating", "Vendor engaged.", "Investigating"),
        ("Resolve", "Firmware updated on the concentrators.", "Resolved"),
    ]
    for button, comment, status in steps:
        page.locator("#id_transition_comment").fill(comment)
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("#complaint-status")).to_have_text(status)
        expect(page.locator("#complaint-timeline")).to_contain_text(comment)
    assert page.evaluate("window.__marker") == "same page"  # worked inline, no reloads
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)

    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert complaint.resolution == "Firmware updated on the concentrators."
    assert [e.to_status for e in complaint.events.all()] == [
        "received",
        "acknowledged",
        "investigating",
        "resolved",
    ]
    # The complainant heard about each step, and is asked to rate the resolution.
    updates = [m for m in mailoutbox if "Update on your complaint" in m.subject]
    assert len(updates) == 3 and "rate the resolution" in updates[-1].body

    # The reports draw their charts (Chart.js, no inline script under the CSP).
    page.goto(f"{live_server.url}/complaints/reports/")
    expect(page.locator('canvas[data-chart="complaints-open"][data-drawn="1"]')).to_have_count(1)
    expect(page.locator('canvas[data-chart="complaints-targets"][data-drawn="1"]')).to_have_count(1)

    # The complainant rates it on the same page.
    page.context.clear_cookies()
    login(page, "laura")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    page.locator("#rating-form").get_by_text("5 · Excellent", exact=True).click()
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#complaint-work")).to_contain_text("Rated 5/5")
    complaint.refresh_from_db()
    assert complaint.resolution_rating == 5


def test_it_lets_a_brm_hand_a_complaint_to_a_colleague_who_finds_it_in_their_queue(
    page, live_server, login, finance, mailoutbox
):
    unit, _, leader = finance
    UserFactory.create(username="sam", first_name="Sam", last_name="Vendorwise", role=Role.BRM)
    complaint = services.file_complaint(
        services.ComplaintInput(
            unit=unit, title="Payroll export fails", description="Since Monday.", severity="low"
        ),
        actor=leader,
    )
    login(page, "bianca")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    expect(page.locator("#complaint-handler")).to_contain_text("Bianca Reyes")
    form = page.locator("#assign-form")
    form.get_by_label("Complaint handler").select_option(label="Sam Vendorwise")
    form.get_by_role("button", name="Reassign").click()  # no reason: the browser asks for one
    reason = form.get_by_label("Why", exact=False)
    assert reason.evaluate("el => el.validity.valueMissing")
    complaint.refresh_from_db()
    assert complaint.handler.username == "bianca"
    reason.fill("Knows the payroll vendor.")
    form.get_by_role("button", name="Reassign").click()
    expect(page.locator("#complaint-handler")).to_contain_text("Sam Vendorwise")
    expect(page.locator("#complaint-timeline")).to_contain_text("Assigned to Sam Vendorwise")
    assert [m.to for m in mailoutbox if "assigned to you" in m.subject] == [["sam@example.org"]]

    page.context.clear_cookies()
    login(page, "sam")
    follow_menu(page, "My complaint queue")
    expect(page.locator("#queue-results")).to_contain_text("Payroll export fails")


def test_a_refused_inline_action_shows_why_and_what_is_true_now(
    page, live_server, login, finance, mailoutbox
):
    """A refusal answered as a fragment (here 409: a colleague moved the complaint meanwhile) is
    swapped in with its reason and the record's current state, not dropped by htmx."""
    unit, brm, leader = finance
    complaint = services.file_complaint(
        services.ComplaintInput(
            unit=unit, title="Printer queue stuck", description="Floor 3.", severity="low"
        ),
        actor=leader,
    )
    login(page, "bianca")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    expect(page.get_by_role("button", name="Acknowledge", exact=True)).to_be_visible()

    # Meanwhile the complainant withdraws it: "Acknowledge" on the open page is now stale.
    workflow.transition_complaint(complaint, "withdrawn", actor=leader, comment="Fixed itself.")

    page.locator("#id_transition_comment").fill("On it.")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    alert = page.locator("#complaint-work [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("Something went wrong")
    expect(page.locator("#complaint-status")).to_have_text("Withdrawn")
    expect(page.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)
    complaint.refresh_from_db()
    assert complaint.status == "withdrawn" and complaint.acknowledged_at is None
