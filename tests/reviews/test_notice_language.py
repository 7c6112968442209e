"""Review emails speak their reader's language, subject and date included (issue 17): the
subject is built inside the reader's language, and its date is Django's localized format, not
strftime's C locale (which wrote English day and month names to everyone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from reviews import services
from reviews.tasks import send_review_reminders
from tests.factories import choose_language
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_a_reminder_subject_is_in_each_readers_language(unit_a, brm, cfo):
    choose_language(brm, "es")
    services.plan_review(
        unit_a, actor=brm, scheduled_at=NOW + timedelta(days=2), attendees=[cfo], it_attendees=[brm]
    )

    send_review_reminders()

    subjects = {m.to[0]: m.subject for m in mail.outbox}
    unit = unit_a.name
    # The BRM chose Spanish; the sponsor has no account, so gets the site's language (English).
    assert subjects["brm@example.org"].startswith(
        f"Recordatorio: revisión del servicio con {unit} el "
    )
    assert "Thu" not in subjects["brm@example.org"] and "Nov" in subjects["brm@example.org"].title()
    assert subjects["carla@example.org"] == (
        f"Reminder: service review with {unit} on Thu 26 Nov, 09:00 UTC"
    )
