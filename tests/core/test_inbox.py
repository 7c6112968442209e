"""The in-app inbox (#15): what the delivery path emails a user also lands under the bell, once
per message, with the email's preferences; the pages list, count and mark read only the user's
own notifications."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.models import DeliveryMode, Notification, OutboundEmail, UserPreference
from tests.core.contract import Contract, published_schema
from tests.factories import UserFactory
from tests.mail import refusing_mail

KIND = "test.inbox"
REQUIRED = "test.required"


def compose(row: OutboundEmail) -> Outgoing | None:
    """An app's composer: a link to the record on SITE_URL in the text, as every app writes."""
    email = EmailMessage(
        subject=f"Complaint {row.ref} escalated",
        body=f"See https://example.com/elsewhere and {django_settings.SITE_URL}/complaints/"
        f"{row.ref}/.\nThanks.",
        to=[a.strip() for a in row.to.split(",")],
    )
    return Outgoing(email)


@pytest.fixture(autouse=True)
def kinds(settings):
    settings.DELIVERY_COMPOSERS = {
        **django_settings.DELIVERY_COMPOSERS,
        KIND: "tests.core.test_inbox.compose",
        REQUIRED: "tests.core.test_inbox.compose",
    }
    settings.NOTIFICATION_KINDS = {
        **django_settings.NOTIFICATION_KINDS,
        KIND: {"label": "Test notes", "required": False},
        REQUIRED: {"label": "Test receipts", "required": True},
    }


@pytest.fixture
def ann(db):
    return UserFactory.create(username="ann", email="Ann@Example.org")


@pytest.fixture
def bob(db):
    return UserFactory.create(username="bob", email="bob@example.org")


def _send(ref: int = 1, to: str = "ann@example.org", kind: str = KIND) -> OutboundEmail:
    row = delivery.enqueue(kind, ref, to=to, queue=False)
    delivery.deliver(row.pk)
    return row


def _prefer(user, kind: str, mode: DeliveryMode) -> None:
    pref = UserPreference.for_user(user)
    pref.notifications = {kind: mode}
    pref.save()


# --- Written where the email is sent -----------------------------------------------------------


def test_a_delivered_email_lands_in_the_users_inbox_once(ann, mailoutbox):
    row = _send()
    assert delivery.deliver(row.pk) is False  # the task run twice: sent once, notified once
    delivery.sweep()
    [item] = Notification.objects.all()
    assert (item.user, item.email_id, item.kind) == (ann, row.pk, KIND)
    assert item.subject == "Complaint 1 escalated" and "Thanks." in item.body
    assert item.read_at is None and len(mailoutbox) == 1


def test_notifying_the_same_message_twice_keeps_one(ann, mailoutbox):
    row = _send()
    outgoing = compose(row)
    assert outgoing is not None
    people = delivery.recipients_for(KIND, ["ann@example.org"])
    delivery.notify_in_app(row, outgoing, people)
    assert Notification.objects.count() == 1


def test_the_link_is_the_records_site_path(ann, mailoutbox):
    _send(ref=12)
    assert Notification.objects.get().link == "/complaints/12/"  # never the other host's


def test_an_unsent_email_notifies_nobody(ann, settings, mailoutbox):
    refusing_mail(settings)
    _send()
    assert not Notification.objects.exists()


def test_each_recipient_with_a_login_gets_their_own(ann, bob, mailoutbox):
    _send(to="ann@example.org, bob@example.org, visitor@example.org")
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["ann", "bob"]


def test_an_inactive_user_gets_none(ann, mailoutbox):
    ann.is_active = False
    ann.save()
    _send(to="ann@example.org")
    assert not Notification.objects.exists()


def test_a_kind_turned_off_is_not_in_the_inbox_either(ann, mailoutbox):
    _prefer(ann, KIND, DeliveryMode.OFF)
    _send()
    assert not Notification.objects.exists() and mailoutbox == []


def test_a_daily_summary_reader_sees_it_in_the_inbox_at_once(ann, mailoutbox):
    _prefer(ann, KIND, DeliveryMode.DAILY)
    _send()
    assert Notification.objects.filter(user=ann).count() == 1 and mailoutbox == []


def test_a_required_kind_always_appears(ann, mailoutbox):
    _prefer(ann, REQUIRED, DeliveryMode.OFF)  # refused by hand in the database: ignored
    _send(kind=REQUIRED)
    assert Notification.objects.filter(user=ann, kind=REQUIRED).count() == 1


def test_the_daily_summary_itself_is_not_notified_again(ann, mailoutbox):
    _prefer(ann, KIND, DeliveryMode.DAILY)
    _send()
    delivery.send_daily_summaries()
    delivery.sweep()
    row = OutboundEmail.objects.get(kind=delivery.DAILY_SUMMARY_EMAIL)
    delivery.deliver(row.pk)
    assert list(Notification.objects.values_list("kind", flat=True)) == [KIND]


def test_site_path_refuses_other_hosts(settings):
    settings.SITE_URL = "https://brm.example.org"
    assert delivery.site_path("https://brm.example.org/reviews/3/") == "/reviews/3/"
    assert delivery.site_path("https://evil.example.org/x") == ""
    assert delivery.site_path("https://brm.example.org.evil.org/x") == ""
    assert delivery.site_path("//evil.example.org/x") == ""
    assert delivery.site_path("/\\evil.example.org/x") == ""
    assert delivery.site_path("https://brm.example.org//evil.example.org/x") == ""
    assert delivery.site_path("javascript:alert(1)") == ""


# --- The pages ----------------------------------------------------------------------------------


def _notes(user, n: int, start: int = 1) -> list[Notification]:
    for ref in range(start, start + n):
        _send(ref=ref, to=user.email)
    return list(Notification.objects.filter(user=user))


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("core:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_inbox_lists_only_the_users_own(client, ann, bob, mailoutbox):
    _notes(ann, 2)
    _notes(bob, 1, start=50)
    client.force_login(ann)
    html = client.get(reverse("core:inbox")).content.decode()
    assert "Complaint 1 escalated" in html and "Complaint 2 escalated" in html
    assert "Complaint 50 escalated" not in html and "2 unread" in html


def test_the_inbox_pages_in_a_constant_number_of_queries(
    client, ann, mailoutbox, django_assert_num_queries
):
    _notes(ann, 30)
    client.force_login(ann)
    # session, user with their role (for the menu), page COUNT, page rows, unread COUNT.
    with django_assert_num_queries(5):
        response = client.get(reverse("core:inbox"), {"page": 2})
    assert response.status_code == 200
    assert len(re.findall(r'id="notification-\d+"', response.content.decode())) == 5


def test_the_unread_filter_shows_only_unread(client, ann, mailoutbox):
    first, _ = _notes(ann, 2)
    client.force_login(ann)
    client.post(reverse("core:inbox_read", args=[first.pk]))
    html = client.get(reverse("core:inbox"), {"unread": "1"}).content.decode()
    assert first.subject not in html and "1 unread" in html


def test_the_bell_counts_unread_in_one_query(
    client, ann, bob, mailoutbox, django_assert_num_queries
):
    _notes(ann, 3)
    _notes(bob, 1, start=50)
    client.force_login(ann)
    with django_assert_num_queries(3):  # session, user, the unread COUNT
        html = client.get(reverse("core:inbox_badge")).content.decode()
    assert ">3<" in html and "unread" in html
    Notification.objects.filter(user=ann).update(read_at="2026-01-01T00:00Z")
    html = client.get(reverse("core:inbox_badge")).content.decode()
    assert "inbox-count" not in html and "unread" not in html  # nothing unread: no number


def test_the_bell_of_an_expired_session_swaps_nothing(client, db):
    response = client.get(reverse("core:inbox_badge"))
    assert response.status_code == 204 and response.content == b""


def test_marking_read_needs_a_post_with_the_csrf_token(ann, mailoutbox):
    [item] = _notes(ann, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    url = reverse("core:inbox_read", args=[item.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    item.refresh_from_db()
    assert item.read_at is None


def test_a_user_marks_their_own_read(client, ann, mailoutbox):
    [item] = _notes(ann, 1)
    client.force_login(ann)
    response = client.post(reverse("core:inbox_read", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("core:inbox")
    item.refresh_from_db()
    assert item.read_at is not None


def test_another_users_notification_is_not_found(client, ann, bob, mailoutbox):
    [item] = _notes(bob, 1)
    client.force_login(ann)
    assert client.post(reverse("core:inbox_read", args=[item.pk])).status_code == 404
    assert client.post(reverse("core:inbox_read", args=[item.pk]), {"open": "1"}).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_open_marks_read_and_goes_to_the_record(client, ann, mailoutbox):
    [item] = _notes(ann, 1)
    client.force_login(ann)
    response = client.post(reverse("core:inbox_read", args=[item.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/complaints/1/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_mark_all_read_touches_only_the_users_own(client, ann, bob, mailoutbox):
    _notes(ann, 2)
    _notes(bob, 1, start=50)
    client.force_login(ann)
    response = client.post(reverse("core:inbox_read_all"), {"unread": "1"})
    assert (
        response.status_code == 302 and response["Location"] == reverse("core:inbox") + "?unread=1"
    )
    assert not Notification.objects.filter(user=ann, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1


def test_the_empty_inbox_says_what_will_appear(client, ann):
    client.force_login(ann)
    html = client.get(reverse("core:inbox")).content.decode()
    assert "Your inbox is empty" in html


# --- The API ------------------------------------------------------------------------------------

API = "/api/v1/notifications/"


def test_the_api_lists_only_the_callers_own(as_user, ann, bob, mailoutbox):
    _notes(ann, 2)
    _notes(bob, 1, start=50)
    body = as_user(ann).get(API).json()
    assert body["count"] == 2
    assert {r["subject"] for r in body["results"]} == {
        "Complaint 1 escalated",
        "Complaint 2 escalated",
    }
    assert (
        body["results"][0]["url"].endswith("/complaints/2/") and body["results"][0]["read"] is False
    )


def test_the_api_marks_one_read_and_hides_anothers(as_user, ann, bob, mailoutbox):
    [mine] = _notes(ann, 1)
    [theirs] = _notes(bob, 1, start=50)
    client = as_user(ann)
    assert client.post(f"{API}{theirs.pk}/read/").status_code == 404
    response = client.post(f"{API}{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.get(API, {"unread": "true"}).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_business_leader_marks_theirs_read_too(as_user, leader, mailoutbox):
    _notes(leader, 2)
    body = as_user(leader).post(f"{API}read-all/").json()
    assert body == {"marked": 2, "unread": 0}


def test_the_api_needs_credentials(api, db):
    assert api.get(API).status_code == 401


def test_the_api_answers_what_its_schema_says(as_user, ann, mailoutbox):
    [item] = _notes(ann, 1)
    contract = Contract(published_schema())
    client = as_user(ann)
    assert contract.errors(API, "get", 200, client.get(API).json()) == []
    read = f"{API}{{id}}/read/"
    assert contract.errors(read, "post", 200, client.post(f"{API}{item.pk}/read/").json()) == []
    missing = client.post(f"{API}999999/read/")
    assert contract.errors(read, "post", 404, missing.json()) == []
    done = client.post(f"{API}read-all/").json()
    assert contract.errors(f"{API}read-all/", "post", 200, done) == []
