"""Per-user time zone and notification preferences, and the one recipient filter every kind of
email goes through (brm.core.delivery.recipients_for): only people who can act get mail, each
copy in its reader's time zone, with an unsubscribe link unless the kind is required."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.models import DeferredEmail, DeliveryMode, OutboundEmail, UserPreference
from tests.factories import StakeholderFactory, UserFactory

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
KIND = "test.optional"
REQUIRED = "test.required"


def compose_when(row: OutboundEmail) -> Outgoing | None:
    """A composer that writes a time: the kernel must compose it in the reader's zone."""
    when = timezone.localtime(T0)
    email = EmailMultiAlternatives(
        subject="Meeting", body=f"At {when:%H:%M %Z}.", to=row.to.split(",")
    )
    email.attach_alternative(f"<html><body><p>At {when:%H:%M}</p></body></html>", "text/html")
    return Outgoing(email)


@pytest.fixture(autouse=True)
def kinds(settings):
    settings.DELIVERY_COMPOSERS = {
        **django_settings.DELIVERY_COMPOSERS,
        KIND: "tests.core.test_preferences.compose_when",
        REQUIRED: "tests.core.test_preferences.compose_when",
    }
    settings.NOTIFICATION_KINDS = {
        **django_settings.NOTIFICATION_KINDS,
        KIND: {"label": "Test notes", "required": False},
        REQUIRED: {"label": "Receipts", "required": True},
    }
    settings.TIME_ZONE = "UTC"


def _send(kind: str, to: str, ref: int = 1) -> OutboundEmail:
    row = delivery.enqueue(kind, ref, to=to, queue=False)
    delivery.deliver(row.pk)
    return OutboundEmail.objects.get(pk=row.pk)


# --- The model ---------------------------------------------------------------------------------


def test_a_preference_is_created_on_first_use_with_the_sites_zone(db, brm):
    pref = UserPreference.for_user(brm)
    assert pref.time_zone == "" and pref.zone == ZoneInfo(django_settings.TIME_ZONE)
    assert UserPreference.for_user(brm).pk == pref.pk
    assert pref.mode("reviews.notice") == DeliveryMode.IMMEDIATE


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", " Europe/London", "x\n"])
def test_an_unknown_time_zone_is_refused(db, brm, name):
    pref = UserPreference.for_user(brm)
    pref.time_zone = name
    with pytest.raises(ValidationError):
        pref.full_clean()


def test_an_unknown_kind_or_mode_is_refused(db, brm):
    pref = UserPreference.for_user(brm)
    pref.notifications = {"reviews.notice": "weekly"}
    with pytest.raises(ValidationError):
        pref.full_clean()
    pref.notifications = {"nobody.knows": "off"}
    with pytest.raises(ValidationError):
        pref.full_clean()


# --- Pages in the user's time zone ---------------------------------------------------------------


def test_pages_show_times_in_the_users_zone(client, brm):
    pref = UserPreference.for_user(brm)
    pref.time_zone = "Asia/Tokyo"
    pref.save()
    client.force_login(brm)
    with time_machine.travel(T0, tick=False):
        response = client.get("/profile/")
    assert response.status_code == 200
    assert b"1 Dec 2026, 00:00 JST" in response.content  # 15:00 UTC on 30 Nov
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request


def test_the_profile_page_saves_time_zone_and_modes(client, brm):
    client.force_login(brm)
    response = client.post(
        "/profile/",
        {
            "time_zone": "Europe/London",
            **{f"kind:{k}": "immediate" for k in django_settings.NOTIFICATION_KINDS},
            "kind:health.digest": "daily",
            "kind:reviews.notice": "off",
        },
    )
    assert response.status_code == 302
    pref = UserPreference.objects.get(user=brm)
    assert pref.time_zone == "Europe/London"
    assert pref.mode("health.digest") == DeliveryMode.DAILY
    assert pref.mode("reviews.notice") == DeliveryMode.OFF
    # A required kind is not offered, so it cannot be switched off.
    assert "complaints.notification" not in pref.notifications


def test_the_profile_page_refuses_a_bad_zone(client, brm):
    client.force_login(brm)
    response = client.post("/profile/", {"time_zone": "Nowhere/Land"})
    assert response.status_code == 400
    assert UserPreference.objects.get(user=brm).time_zone == ""


def test_the_profile_page_needs_a_login(client, db):
    assert client.get("/profile/").status_code == 302


# --- Only people who can act get mail ---------------------------------------------------------


def test_an_inactive_user_gets_no_mail_of_any_kind(db, mailoutbox):
    gone = UserFactory.create(username="gone", is_active=False)
    for kind in (KIND, REQUIRED):
        row = _send(kind, gone.email, ref=hash(kind) % 1000)
        assert row.state == "skipped"
    assert mailoutbox == []


def test_an_inactive_stakeholder_gets_no_mail_and_active_people_still_do(db, mailoutbox):
    left = StakeholderFactory.create(email="left@example.org", active=False)
    here = StakeholderFactory.create(email="here@example.org")
    row = _send(REQUIRED, f"{left.email},{here.email}")
    assert row.state == "sent"
    [message] = mailoutbox
    assert message.to == ["here@example.org"]


def test_an_address_that_an_active_user_still_owns_is_kept(db, mailoutbox):
    user = UserFactory.create(username="both")
    StakeholderFactory.create(email=user.email, active=False)
    assert delivery.reachable([user.email.upper()]) == [user.email.upper()]


# --- Preferences, unsubscribe headers and time zones --------------------------------------------


def test_each_optional_copy_has_its_own_unsubscribe_link_and_headers(db, mailoutbox):
    a = UserFactory.create(username="ann")
    b = UserFactory.create(username="bob")
    _send(KIND, f"{a.email},{b.email}")
    assert [m.to for m in mailoutbox] == [[a.email], [b.email]]
    for message, person in zip(mailoutbox, (a, b), strict=True):
        header = message.extra_headers["List-Unsubscribe"]
        assert header.startswith(f"<{django_settings.SITE_URL}/unsubscribe/")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = header[1:-1]
        assert url in message.body
        assert url in message.alternatives[0].content
        assert message.alternatives[0].content.rstrip().endswith("</html>")
        assert delivery.read_unsubscribe_token(url.rsplit("/", 2)[1]) == (person.email, KIND)


def test_a_required_kind_has_no_unsubscribe_and_ignores_opt_outs(db, mailoutbox):
    user = UserFactory.create(username="complainant")
    UserPreference.objects.create(user=user, notifications={})
    delivery.unsubscribe(user.email, delivery.ALL_KINDS)
    _send(REQUIRED, user.email)
    [message] = mailoutbox
    assert "List-Unsubscribe" not in message.extra_headers
    assert "unsubscribe" not in message.body.lower()


def test_a_user_who_switched_a_kind_off_gets_none(db, mailoutbox):
    user = UserFactory.create(username="quiet")
    UserPreference.objects.create(user=user, notifications={"health.digest": "off"})
    assert delivery.recipients_for("health.digest", [user.email]) == []
    assert [r.email for r in delivery.recipients_for("reviews.notice", [user.email])] == [
        user.email
    ]


def test_each_copy_is_written_in_its_readers_time_zone(db, mailoutbox):
    tokyo = UserFactory.create(username="tokyo")
    UserPreference.objects.create(user=tokyo, time_zone="Asia/Tokyo")
    plain = UserFactory.create(username="plain")
    _send(KIND, f"{tokyo.email},{plain.email}")
    by_reader = {m.to[0]: m for m in mailoutbox}
    assert "At 00:00 JST" in by_reader[tokyo.email].body  # 15:00 UTC is midnight in Tokyo
    assert "At 15:00 UTC" in by_reader[plain.email].body


def test_a_daily_summary_gathers_held_back_notifications_once(db, mailoutbox):
    user = UserFactory.create(username="daily")
    UserPreference.objects.create(user=user, notifications={KIND: "daily"})
    with time_machine.travel(T0, tick=False):
        row = _send(KIND, user.email)
    assert row.state == "sent" and mailoutbox == []
    assert DeferredEmail.objects.filter(email=user.email, summarised_at__isnull=True).count() == 1
    with time_machine.travel(T0, tick=False):
        assert delivery.send_daily_summaries() == 1
        assert delivery.sweep(T0 + delivery.FRESH_GRACE * 2) == 1
        assert delivery.send_daily_summaries() == 0  # today's summary exists already
    [summary] = mailoutbox
    assert summary.to == [user.email] and "Meeting" in summary.body
    assert summary.extra_headers["List-Unsubscribe"]
    assert not DeferredEmail.objects.filter(summarised_at__isnull=True).exists()
