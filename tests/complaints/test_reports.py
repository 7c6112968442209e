"""Report figures against values worked out by hand (see the table in each test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from complaints.models import Complaint
from complaints.selectors import complaint_report
from tests.factories import ComplaintFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ACK = {"low": 24, "medium": 8, "high": 4, "critical": 1}
RESOLVE = {"low": 240, "medium": 120, "high": 48, "critical": 8}


def _complaint(unit, severity, status, age, ack=None, resolved=None, level=0):
    """A complaint filed `age` ago, acknowledged/resolved `ack`/`resolved` hours after filing."""
    created = NOW - age
    c = ComplaintFactory.create(unit=unit, severity=severity, status=status, escalation_level=level)
    Complaint.objects.filter(pk=c.pk).update(
        created_at=created,
        acknowledge_by=created + timedelta(hours=ACK[severity]),
        resolve_by=created + timedelta(hours=RESOLVE[severity]),
        acknowledged_at=created + timedelta(hours=ack) if ack is not None else None,
        resolved_at=created + timedelta(hours=resolved) if resolved is not None else None,
    )
    return c


@pytest.fixture
def data(unit_a, unit_b):
    d = timedelta(days=1)
    # unit   severity    status           age     ack h  resolved h  escalation
    _complaint(unit_a, "critical", "investigating", 1 * d, ack=0.5)
    _complaint(unit_a, "high", "received", 10 * d, level=2)
    _complaint(unit_a, "medium", "closed", 40 * d, ack=10, resolved=100, level=1)
    _complaint(unit_b, "low", "acknowledged", 3 * d, ack=30, level=1)
    _complaint(unit_b, "critical", "resolved", 5 * d, ack=2.5, resolved=6)
    _complaint(unit_b, "medium", "withdrawn", 2 * d)


def test_it_counts_open_complaints_by_unit_severity_and_age(data):
    report = complaint_report(Complaint.objects.all(), now=NOW)
    finance, operations = report.units
    assert finance.name == "Finance" and operations.name == "Operations"
    assert finance.open_by_severity == {"low": 0, "medium": 0, "high": 1, "critical": 1}
    assert finance.open_by_age == {"under 2 days": 1, "2-7 days": 0, "7-30 days": 1, "30+": 0}
    assert operations.open_by_severity == {"low": 1, "medium": 0, "high": 0, "critical": 0}
    assert operations.open_by_age == {"under 2 days": 0, "2-7 days": 1, "7-30 days": 0, "30+": 0}
    assert report.open_total == 3


def test_it_counts_escalations_per_level(data):
    report = complaint_report(Complaint.objects.all(), now=NOW)
    finance, operations = report.units
    # Finance: one at level 2 (counted at 1 and 2), one at level 1.
    assert finance.escalations == {1: 2, 2: 1, 3: 0}
    assert operations.escalations == {1: 1, 2: 0, 3: 0}
    assert report.escalated_total == 3


def test_it_measures_times_against_the_targets(data):
    targets = {t.severity: t for t in complaint_report(Complaint.objects.all(), now=NOW).targets}
    critical = targets["critical"]
    # Acknowledged after 0.5 h (on time) and 2.5 h (late, target 1 h): mean 1.5 h, 50 %.
    assert (critical.acknowledged, critical.ack_avg_hours, critical.ack_on_time_pct) == (
        2,
        1.5,
        50.0,
    )
    # Resolved once after 6 h against 8 h.
    assert (critical.resolved, critical.resolve_avg_hours, critical.resolve_on_time_pct) == (
        1,
        6.0,
        100.0,
    )
    medium = targets["medium"]
    assert (medium.ack_avg_hours, medium.ack_on_time_pct) == (10.0, 0.0)
    assert (medium.resolve_avg_hours, medium.resolve_on_time_pct) == (100.0, 100.0)
    assert (targets["low"].ack_avg_hours, targets["low"].ack_on_time_pct) == (30.0, 0.0)
    high = targets["high"]
    assert (high.acknowledged, high.ack_avg_hours, high.ack_on_time_pct) == (0, None, None)


def test_the_page_shows_the_figures(client, executive, data):
    client.force_login(executive)
    response = client.get(reverse("complaints:complaint_reports"))
    body = response.content.decode()
    assert 'id="open-total">3<' in body and 'id="escalated-total">3<' in body
    assert "no data" in body  # high severity: nothing acknowledged yet
