"""The in-app inbox in the admin (#17): administrators list, filter and search notifications
and open one read-only; nobody adds one there; a user who is not staff is sent to the admin's
sign-in page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from brm.core.models import Notification, OutboundEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/core/notification/"


@pytest.fixture
def notes(brm, leader):
    """One read escalation for the BRM, one unread survey invitation for the leader."""
    made = {}
    for user, kind, subject, read in [
        (brm, "complaint.escalated", "Complaint CMP-7 escalated", True),
        (leader, "survey.invitation", "Tell us how IT is doing", False),
    ]:
        email = OutboundEmail.objects.create(
            kind=kind, ref=1, key=f"k-{kind}", message_id=f"<{kind}@x>", state="sent"
        )
        made[kind] = Notification.objects.create(
            user=user,
            email=email,
            kind=kind,
            subject=subject,
            body="Private words for the recipient",
            link="/complaints/7/",
            read_at=timezone.now() if read else None,
        )
    return made


def test_it_lists_notifications_for_an_administrator(admin_client, notes) -> None:
    html = admin_client.get(LIST).content.decode()
    assert "Complaint CMP-7 escalated" in html
    assert "Tell us how IT is doing" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?kind=survey.invitation", "Tell us how IT is doing", "CMP-7"),
        ("?read=yes", "CMP-7", "Tell us how IT is doing"),
        ("?read=no", "Tell us how IT is doing", "CMP-7"),
        ("?q=CMP-7", "CMP-7", "Tell us how IT is doing"),
        ("?q=brm", "CMP-7", "Tell us how IT is doing"),  # by the recipient's login
    ],
)
def test_it_filters_and_searches(admin_client, notes, query, shown, hidden) -> None:
    response = admin_client.get(LIST + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown in html and hidden not in html


def test_it_filters_by_recipient(admin_client, notes, brm) -> None:
    html = admin_client.get(f"{LIST}?user__id__exact={brm.pk}").content.decode()
    assert "CMP-7" in html and "Tell us how IT is doing" not in html


def test_a_notification_opens_read_only_without_its_body(admin_client, notes) -> None:
    item = notes["complaint.escalated"]
    response = admin_client.get(f"{LIST}{item.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Complaint CMP-7 escalated" in html
    assert 'name="subject"' not in html  # shown, not an input
    assert "Private words for the recipient" not in html
    posted = admin_client.post(f"{LIST}{item.pk}/change/", {"subject": "Changed"})
    assert posted.status_code == 403
    item.refresh_from_db()
    assert item.subject == "Complaint CMP-7 escalated"


def test_nobody_adds_one_in_the_admin(admin_client) -> None:
    assert admin_client.get(f"{LIST}add/").status_code == 403


def test_it_refuses_a_user_who_is_not_staff(client, notes) -> None:
    client.force_login(UserFactory.create(username="plain"))
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
