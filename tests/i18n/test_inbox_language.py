"""What one person keeps of an email is in their own language (issue 17): the email to several
readers who chose different languages goes in the site's, but each reader's in-app inbox item and
daily-summary item are composed again in the language they chose."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext, override

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.i18n import language_for, languages_of, writing_for
from brm.core.models import DeferredEmail, DeliveryMode, Notification, OutboundEmail, UserPreference
from tests.factories import UserFactory

KIND = "test.language"
composed_in: list[str] = []


def compose(row: OutboundEmail) -> Outgoing | None:
    """An app's composer: written inside `override(language_for(to))`, as every app writes."""
    to = [a.strip() for a in row.to.split(",")]
    language = language_for(to)
    composed_in.append(language)
    with override(language):
        subject = gettext("Service review") + f" {row.ref}"
        body = gettext("Planned") + f"\n{django_settings.SITE_URL}/reviews/{row.ref}/"
    return Outgoing(EmailMessage(subject=subject, body=body, to=to))


@pytest.fixture(autouse=True)
def kinds(settings):
    settings.DELIVERY_COMPOSERS = {
        **django_settings.DELIVERY_COMPOSERS,
        KIND: f"{__name__}.compose",
    }
    settings.NOTIFICATION_KINDS = {
        **django_settings.NOTIFICATION_KINDS,
        KIND: {"label": "Test notes", "required": False},
    }
    composed_in.clear()


def _user(name, language="", mode=None):
    user = UserFactory.create(username=name, email=f"{name}@example.org")
    pref = UserPreference.for_user(user)
    pref.language = language
    if mode is not None:
        pref.notifications = {KIND: mode}
    pref.save()
    return user


@pytest.mark.django_db
def test_each_reader_finds_it_in_their_own_language_in_the_inbox(mailoutbox):
    _user("ana", "es")
    _user("bob")  # no choice: the site's language
    row = delivery.enqueue(KIND, 7, to="ana@example.org, bob@example.org", queue=False)
    assert delivery.deliver(row.pk) is True
    assert {m.subject for m in mailoutbox} == {"Service review 7"}  # the site's: they differ
    subjects = dict(Notification.objects.values_list("user__username", "subject"))
    assert subjects == {"ana": "Revisión del servicio 7", "bob": "Service review 7"}
    assert Notification.objects.get(user__username="ana").link == "/reviews/7/"
    # Once for the email (the site's language: they differ), once again for Ana only.
    assert composed_in == [django_settings.LANGUAGE_CODE, "es"]


@pytest.mark.django_db
def test_one_language_for_all_composes_once(mailoutbox):
    _user("ana", "es")
    _user("eva", "es")
    row = delivery.enqueue(KIND, 8, to="ana@example.org, eva@example.org", queue=False)
    delivery.deliver(row.pk)
    assert set(Notification.objects.values_list("subject", flat=True)) == {
        "Revisión del servicio 8"
    }
    assert composed_in == ["es"]


@pytest.mark.django_db
def test_the_unsubscribe_footer_is_in_the_language_the_email_went_in(mailoutbox):
    _user("ana", "es")
    _user("eva", "es")
    row = delivery.enqueue(KIND, 10, to="ana@example.org, eva@example.org", queue=False)
    delivery.deliver(row.pk)
    assert {m.body.startswith("Planificado") for m in mailoutbox} == {True}
    for message in mailoutbox:
        assert "Dejar de recibir correos como este (Test notes):" in message.body
        assert "Stop emails like this" not in message.body
    # Readers of different languages get the site's language, the footer too.
    _user("bob")
    mailoutbox.clear()
    row = delivery.enqueue(KIND, 11, to="ana@example.org, bob@example.org", queue=False)
    delivery.deliver(row.pk)
    assert all("Stop emails like this (Test notes):" in m.body for m in mailoutbox)


@pytest.mark.django_db
def test_a_daily_summary_item_is_held_in_its_readers_language(mailoutbox):
    _user("ana", "es", DeliveryMode.DAILY)
    _user("bob")
    row = delivery.enqueue(KIND, 9, to="ana@example.org, bob@example.org", queue=False)
    delivery.deliver(row.pk)
    held = DeferredEmail.objects.get(email="ana@example.org")
    assert held.subject == "Revisión del servicio 9" and held.body.startswith("Planificado")
    summary = delivery.compose_daily_summary(
        delivery.enqueue(
            delivery.DAILY_SUMMARY_EMAIL, 0, key="s", to="ana@example.org", queue=False
        )
    )
    assert summary is not None
    assert summary.email.subject == "Tu resumen diario: 1 notificación"
    assert "== Revisión del servicio 9 ==" in summary.email.body


@pytest.mark.django_db
def test_writing_for_makes_language_for_answer_that_language():
    _user("bob", "en")
    assert languages_of(["BOB@example.org", "x@example.org"]) == {
        "bob@example.org": "en",
        "x@example.org": django_settings.LANGUAGE_CODE,
    }
    with writing_for("es"):
        assert language_for(["bob@example.org"]) == "es"
    assert language_for(["bob@example.org"]) == "en"
