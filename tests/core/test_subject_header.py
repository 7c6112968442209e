"""Every email subject is one header line: the kernel's delivery path passes each subject
through brm.core.validators.header_text in one place (brm.core.delivery._copy, which every sent
copy goes through, and the daily summary's held-back items), so no composer can put CR/LF into a
Subject, whatever text (a unit or review name stored before names were validated) it uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.mail import EmailMessage

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.models import DeferredEmail, OutboundEmail, UserPreference
from reviews import notices, services
from stakeholders.models import BusinessUnit
from tests.factories import UserFactory
from tests.reviews.conftest import NOW

KIND = "test.subject"
EVIL = "Finance\r\nBcc: everyone@example.org\r\n\r\nbody"


def compose_evil(row: OutboundEmail) -> Outgoing | None:
    """A composer that puts raw user text with CR/LF into its subject."""
    return Outgoing(EmailMessage(subject=f"News for {EVIL}", body="Hello", to=[row.to]))


@pytest.fixture(autouse=True)
def kinds(settings):
    settings.DELIVERY_COMPOSERS = {
        **django_settings.DELIVERY_COMPOSERS,
        KIND: "tests.core.test_subject_header.compose_evil",
    }
    settings.NOTIFICATION_KINDS = {
        **django_settings.NOTIFICATION_KINDS,
        KIND: {"label": "Test news", "required": False},
    }


def _assert_one_line(subject: str) -> None:
    assert subject == "News for Finance Bcc: everyone@example.org body"


def test_any_composers_subject_is_sent_as_one_line(db, mailoutbox):
    row = delivery.enqueue(KIND, 1, to="ann@example.org", queue=False)
    assert delivery.deliver(row.pk)  # without header_text the mail library refuses it
    [message] = mailoutbox
    _assert_one_line(message.subject)
    assert message.to == ["ann@example.org"] and message.bcc == []
    assert "Subject: News for Finance Bcc: everyone@example.org body" in (
        message.message().as_string()
    )


def test_a_held_back_copy_keeps_a_one_line_subject_for_the_summary(db, mailoutbox):
    user = UserFactory.create(username="daily")
    UserPreference.objects.create(user=user, notifications={KIND: "daily"})
    row = delivery.enqueue(KIND, 2, to=user.email, queue=False)
    assert delivery.deliver(row.pk)
    _assert_one_line(DeferredEmail.objects.get(email=user.email).subject)


def test_a_review_reminder_for_a_unit_named_with_crlf_goes_out_on_one_line(unit_a, brm, mailoutbox):
    with time_machine.travel(NOW, tick=False):
        services.plan_review(
            unit_a, actor=brm, scheduled_at=NOW + timedelta(days=2), it_attendees=[brm]
        )
        # A name stored before names were validated (raw update: no validator runs).
        BusinessUnit.objects.filter(pk=unit_a.pk).update(name=EVIL)
        run = notices.send_review_notices()
    assert run.reminders and not run.failed
    [message] = mailoutbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.startswith("Reminder: service review with Finance Bcc:")
    assert message.bcc == []
