"""API datetimes in the reader's time zone, the zone looked up once per serializer
(brm.core.api_input.pin_time_zone, issue 14) rather than once per value."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework import serializers

from brm.core.api_input import pin_time_zone
from brm.core.models import UserPreference
from tests.factories import StakeholderFactory

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_it_gives_each_datetime_field_the_current_zone():
    naive = serializers.DateTimeField()
    own = serializers.DateTimeField(default_timezone=ZoneInfo("Asia/Tokyo"))
    with timezone.override(ZoneInfo("Europe/Madrid")):
        pin_time_zone([naive, own, serializers.CharField()])
        assert naive.timezone == ZoneInfo("Europe/Madrid")
        assert own.timezone == ZoneInfo("Asia/Tokyo")  # a zone of its own is kept
        assert naive.to_representation(T0) == "2026-11-30T16:00:00+01:00"


def test_it_writes_what_drf_writes_in_every_zone():
    for zone in (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")):
        with timezone.override(zone):
            pinned = serializers.DateTimeField()
            pin_time_zone([pinned])
            assert pinned.to_representation(T0) == serializers.DateTimeField().to_representation(T0)


def test_it_lists_times_in_the_readers_zone(client, unit_a, brm):
    person = StakeholderFactory.create(unit=unit_a)
    pref = UserPreference.for_user(brm)
    pref.time_zone = "Asia/Tokyo"
    pref.save()
    client.force_login(brm)

    rows = client.get("/api/v1/stakeholders/").json()["results"]

    created = next(row["created_at"] for row in rows if row["id"] == person.pk)
    assert created.endswith("+09:00")
    assert datetime.fromisoformat(created) == person.created_at
