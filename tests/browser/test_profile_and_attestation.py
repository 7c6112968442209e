"""Real-browser journeys for #11: a user reaches /profile/ from the user menu, saves a time zone
and notification choices, and sees them used (times on the page, who gets which email); a
sponsor without a login opens the signed attestation link from the email, confirms a figure
once, and the same link is then used up while a forged one finds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from brm.core import delivery
from brm.core.models import DeliveryMode, UserPreference
from brm.core.roles import Role
from portfolio.models import BenefitAttestation, BenefitRecord, DemandStatus
from portfolio.services import attestation
from tests.factories import BenefitRecordFactory, UserFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

demand_a = demand_fixtures.demand_a


def test_a_user_saves_time_zone_and_emails_on_the_profile_page_and_they_are_used(
    page, live_server, login
):
    user = UserFactory.create(
        username="bianca", first_name="Bianca", last_name="Reyes", role=Role.BRM
    )
    login(page, "bianca")
    # The user menu (the name in the navigation bar) leads to the profile page.
    page.get_by_role("link", name="Bianca · Relationship manager: your preferences").click()
    expect(page.get_by_role("heading", name="Your preferences")).to_be_visible()
    # Complaint emails to a complainant are required: not offered. Staff ones are.
    expect(page.locator("select[name='kind:complaints.notification']")).to_have_count(0)
    expect(page.locator("select[name='kind:complaints.staff']")).to_have_count(1)

    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("Service reviews: reminders and invitations").select_option("off")
    page.get_by_label("Weekly relationship health digest").select_option("daily")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Your preferences are saved.")

    # Saved, and shown back after the redirect.
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    expect(page.get_by_label("Service reviews: reminders and invitations")).to_have_value("off")
    pref = UserPreference.objects.get(user=user)
    assert pref.time_zone == "America/New_York"
    assert pref.mode("health.digest") == DeliveryMode.DAILY
    # Used: this page's clock is New York's, and the mail filter honours the choices.
    expect(page.locator("#time-now")).to_contain_text("ES")  # EST or EDT
    assert delivery.recipients_for("reviews.notice", [user.email]) == []
    [digest] = delivery.recipients_for("health.digest", [user.email])
    assert digest.mode == DeliveryMode.DAILY and digest.zone.key == "America/New_York"

    # A bad zone is refused next to the field, and nothing changes.
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#preference-form")).to_contain_text("time zone")
    assert UserPreference.objects.get(user=user).time_zone == "America/New_York"


@pytest.fixture
def attestation_link(demand_a, mailoutbox):
    """A delivered demand with one IT-recorded figure; the sponsor's email and its link path."""
    delivered = timezone.make_aware(datetime(2026, 1, 10, 12))
    with_case(demand_a, DemandStatus.DELIVERED)
    demand_a.delivered_at = delivered
    demand_a.save()
    record = BenefitRecordFactory.create(
        demand=demand_a,
        period_start=delivered.date(),
        period_end=delivered.date() + timedelta(days=90),
        planned_amount=Decimal("100"),
        realised_amount=Decimal("80"),
    )
    att = BenefitAttestation.objects.create(demand=demand_a, due_on=delivered.date(), round=1)
    row = delivery.enqueue(attestation.ATTESTATION_EMAIL, att.pk, queue=False)
    assert delivery.deliver(row.pk)
    [mail] = mailoutbox
    link = next(w for w in mail.body.split() if "/demands/attest/" in w)
    return demand_a, record, link.removeprefix(settings.SITE_URL)


def test_the_sponsor_confirms_through_the_signed_link_once_without_a_login(
    page, live_server, attestation_link
):
    demand, record, path = attestation_link
    page.goto(f"{live_server.url}{path}")  # no login
    assert "/accounts/login/" not in page.url
    expect(
        page.get_by_role("heading", name=f"Confirm the benefits of {demand.reference}")
    ).to_be_visible()

    # Nothing ticked: refused, and the link still works.
    page.get_by_role("button", name="Confirm ticked figures").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert BenefitRecord.objects.get(pk=record.pk).confirmed_at is None

    page.locator(f"#rec-{record.pk}").check()
    page.get_by_role("button", name="Confirm ticked figures").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert BenefitRecord.objects.get(pk=record.pk).confirmed_at is not None

    # Single use: the same link again is used up.
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="Already answered")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm ticked figures")).to_have_count(0)

    # A forged link finds nothing.
    forged = page.goto(f"{live_server.url}{path[:-4]}abc/")
    assert forged is not None and forged.status == 404
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
