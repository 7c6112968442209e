"""The row tags' shared pieces (brm.core.rows) write what the template filters and tags they
replace wrote (issue 14): dates as the `date` filter in both languages and another time zone,
badges as `{% status_badge %}`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from brm.core.rows import Badges, Dates, choice_labels
from complaints.models import Complaint, Severity, Status

MOMENTS = [
    datetime(2026, 1, 4, 23, 30, 5, 123456, tzinfo=UTC),  # another day in Madrid
    datetime(2026, 7, 15, 8, 5, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
    date(2026, 3, 9),
]
FORMATS = {
    "iso": "c",
    "day_month": "j M",
    "day": "j M Y",
    "day_time": "j M Y, H:i",
    "weekday_day_time": "D j M Y, H:i",
}


def _filtered(value: object, fmt: str) -> str:
    return Template("{{ v|date:f }}").render(Context({"v": value, "f": fmt}))


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid", "America/Los_Angeles"])
def test_it_writes_dates_as_the_date_filter(language: str, zone: str) -> None:
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        dates = Dates()
        for name, fmt in FORMATS.items():
            for value in MOMENTS:
                if name in {"day_time", "weekday_day_time"} and not isinstance(value, datetime):
                    continue
                assert getattr(dates, name)(value) == _filtered(value, fmt), (name, value)
            assert getattr(dates, name)(None) == _filtered(None, fmt)


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_it_writes_badges_as_status_badge(language: str) -> None:
    template = Template('{% load brm %}{% status_badge c %}|{% status_badge c "severity" %}')
    with translation.override(language):
        statuses, severities = Badges(Complaint), Badges(Complaint, "severity")
        for status in Status.values:
            for severity in Severity.values:
                complaint = Complaint(status=status, severity=severity)
                expected = template.render(Context({"c": complaint}))
                assert f"{statuses(status)}|{severities(severity)}" == expected


def test_it_labels_choices_in_the_active_language() -> None:
    with translation.override("es"):
        labels = choice_labels(Complaint, "status")
    with translation.override("es"):
        assert labels == {value: str(label) for value, label in Status.choices}
