"""Review emails are written in each reader's time zone (the kernel composes every copy in the
recipient's zone: their preference, else the site's TIME_ZONE): subject and body show the local
time with its zone, so a BRM in New York and an invitee in London each read their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from brm.core.models import UserPreference
from reviews import notices, services

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_each_invitee_reads_the_reviews_time_in_their_own_zone(
    unit_a, brm, cfo, settings, mailoutbox
):
    settings.TIME_ZONE = "Europe/London"
    UserPreference.objects.create(user=brm, time_zone="America/New_York")
    with time_machine.travel(NOW, tick=False):
        services.plan_review(
            unit_a,
            actor=brm,
            scheduled_at=NOW + timedelta(days=2, hours=6),  # Thu 26 Nov, 15:00 UTC
            attendees=[cfo],
            it_attendees=[brm],
        )
        notices.send_review_notices()
    by_reader = {m.to[0]: m for m in mailoutbox}
    assert set(by_reader) == {brm.email, cfo.email}
    ny, london = by_reader[brm.email], by_reader[cfo.email]  # cfo: no login, the site's zone
    assert ny.subject.endswith("on Thu 26 Nov, 10:00 EST")
    assert "Thursday 26 November 2026, 10:00 EST" in ny.body
    assert london.subject.endswith("on Thu 26 Nov, 15:00 GMT")
    assert "Thursday 26 November 2026, 15:00 GMT" in london.body
