"""A review's calendar invitation speaks its reader's language (issue 17): the summary and the
description of the .ics attached to each person's reminder are written in that person's language
(the sponsor without an account gets the site's), and a download in the reader's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation
from icalendar import Calendar

from reviews import services
from reviews.ics import review_ics
from reviews.tasks import send_review_reminders
from tests.factories import choose_language
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _event(ics: str):
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_each_readers_invitation_is_in_their_language(unit_a, brm, cfo):
    choose_language(brm, "es")
    services.plan_review(
        unit_a, actor=brm, scheduled_at=NOW + timedelta(days=2), attendees=[cfo], it_attendees=[brm]
    )

    send_review_reminders()

    invitations = {
        m.to[0]: _event(next(a[1] for a in m.attachments if a[0].endswith(".ics")))
        for m in mail.outbox
    }
    spanish, english = invitations["brm@example.org"], invitations["carla@example.org"]
    assert str(spanish["SUMMARY"]) == f"Revisión del servicio: {unit_a.name}"
    assert str(spanish["DESCRIPTION"]).startswith(f"Revisión del servicio con {unit_a.name}.")
    assert "Informe de rendimiento y acta: http" in str(spanish["DESCRIPTION"])
    assert str(english["SUMMARY"]) == f"Service review: {unit_a.name}"
    assert "Performance pack and minutes: http" in str(english["DESCRIPTION"])


def test_a_download_is_in_the_active_language(unit_a, brm):
    review = services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=2))
    review.agenda = "Renovaciones"
    with translation.override("es"):
        event = _event(review_ics(review))
    assert "\nOrden del día:\nRenovaciones\n" in str(event["DESCRIPTION"])
    assert str(_event(review_ics(review))["SUMMARY"]) == f"Service review: {unit_a.name}"
