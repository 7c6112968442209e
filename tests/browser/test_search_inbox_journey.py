"""The header's search and bell in a real browser (#15): live results while typing, a keyboard
path to a result, and an emailed notice waiting under the bell, opened from the inbox."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from brm.core import delivery
from brm.core.models import Notification
from brm.core.roles import Role
from tests.factories import BusinessUnitFactory, ComplaintFactory, StakeholderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
SHOTS = os.environ.get("BRM_CRAWL_SCREENSHOTS", "")


@pytest.fixture
def world():
    brm = UserFactory.create(username="bianca", first_name="Bianca", role=Role.BRM)
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)
    StakeholderFactory.create(unit=unit, name="Laura Finch", job_title="Controller")
    complaint = ComplaintFactory.create(unit=unit, title="Ledger export failed")
    return {"brm": brm, "unit": unit, "complaint": complaint}


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_searching_from_the_header_and_opening_the_inbox(page, live_server, login, world, settings):
    settings.SITE_URL = live_server.url
    page.set_viewport_size(LAPTOP)
    login(page, "bianca")

    box = page.get_by_role("searchbox", name="Search units, people, meetings")
    box.fill("Finch")
    result = page.locator("#search-live").get_by_role("link", name="Laura Finch")
    expect(result).to_be_visible()
    _shot(page, "search-live-1366")
    box.press("Tab")  # the first result is next in the tab order
    expect(page.locator("#search-live a").first).to_be_focused()
    box.press("Enter")  # Enter submits the plain form: the grouped page
    page.wait_for_url("**/search/?q=Finch")
    expect(page.get_by_role("heading", name="People 1")).to_be_visible()

    complaint = world["complaint"]
    row = delivery.enqueue("complaints.staff", complaint.pk, key="t:1", queue=False)
    # A notice to Bianca as the delivery path writes it (tests/core/test_inbox.py covers that).
    Notification.objects.create(
        user=world["brm"],
        email=row,
        kind=row.kind,
        subject=f"{complaint.reference}: escalated",
        body=f"Open it: {settings.SITE_URL}{complaint.get_absolute_url()}",
        link=complaint.get_absolute_url(),
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/search/?q=ledger")
    expect(
        page.get_by_role("link", name=f"{complaint.reference}: Ledger export failed")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "search-390")
    page.goto(f"{live_server.url}/")
    bell = page.get_by_role("link", name="Inbox 1 unread")
    expect(bell).to_be_visible()  # outside the collapsed menu, on a phone too
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    bell.click()
    _shot(page, "inbox-390")
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(f"**{complaint.get_absolute_url()}")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
