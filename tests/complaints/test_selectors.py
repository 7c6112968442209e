"""The overdue-complaint rule and the figures the top floor reads from the complaints app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from brm.health.unit_page import unit_timeline
from complaints import selectors
from complaints.models import Complaint
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2028, 2, 29, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _complaint(unit, status: str, ack_hours: int, resolve_hours: int, **kw):
    c = ComplaintFactory.create(unit=unit, status=status, **kw)
    Complaint.objects.filter(pk=c.pk).update(
        acknowledge_by=NOW + timedelta(hours=ack_hours),
        resolve_by=NOW + timedelta(hours=resolve_hours),
    )
    c.refresh_from_db()
    return c


@pytest.mark.parametrize(
    ("status", "ack_hours", "resolve_hours", "overdue"),
    [
        ("received", -1, 10, True),  # past the acknowledge deadline only
        ("received", 1, 10, False),
        ("acknowledged", -1, 10, False),  # acknowledged (late), resolve deadline ahead
        ("investigating", -20, -1, True),
        ("resolved", -20, -1, False),
        ("closed", -20, -1, False),
    ],
)
def test_it_applies_one_overdue_rule_to_lists_badges_and_health(
    unit_a, status, ack_hours, resolve_hours, overdue
):
    c = _complaint(unit_a, status, ack_hours, resolve_hours)

    assert Complaint.objects.overdue(NOW).filter(pk=c.pk).exists() is overdue
    assert Complaint.objects.with_overdue(NOW).get(pk=c.pk).overdue_now is overdue  # type: ignore[attr-defined]  # annotated
    assert c.is_overdue is overdue
    assert selectors.overdue_by_unit([unit_a.pk], NOW).get(unit_a.pk, 0) == int(overdue)
    open_rows = selectors.open_by_unit(NOW).get(unit_a.pk, [])
    assert [r.overdue for r in open_rows] == ([overdue] if c.is_open else [])


def test_it_counts_open_complaints_by_age_for_the_units_a_user_sees(unit_a, unit_b, leader):
    mine = _complaint(unit_a, "received", 5, 50, severity="high")
    _complaint(unit_b, "received", 5, 50, severity="high")
    Complaint.objects.filter(pk=mine.pk).update(created_at=NOW - timedelta(days=10))

    ageing = selectors.open_ageing(leader, NOW, [(0, 7), (8, 30), (31, None)])

    assert ageing["high"] == [0, 1, 0]
    assert list(ageing) == ["critical", "high", "medium", "low"]


def test_it_lists_filed_complaints_and_compliments_for_the_timeline(unit_a, brm):
    _complaint(unit_a, "received", 5, 50)

    entries, _ = unit_timeline(unit_a, brm, before=NOW + timedelta(days=1), limit=5)

    assert [e.kind for e in entries] == ["complaint"]


def test_it_counts_the_dashboards_ageing_and_months_as_the_two_figures_do(
    unit_a, unit_b, leader, executive, django_assert_num_queries
):
    # Open and old (beyond the year), resolved this year, open last month, another unit's.
    old_open = _complaint(unit_a, "received", 5, 50, severity="high")
    resolved = _complaint(unit_a, "resolved", 5, 50, severity="low")
    recent = _complaint(unit_a, "investigating", 5, 50, severity="critical")
    theirs = _complaint(unit_b, "received", 5, 50, severity="medium")
    for c, days in ((old_open, 400), (resolved, 100), (recent, 35), (theirs, 3)):
        Complaint.objects.filter(pk=c.pk).update(created_at=NOW - timedelta(days=days))
    buckets = [(0, 7), (8, 30), (31, 90), (91, None)]
    since = NOW - timedelta(days=365)

    for user in (leader, executive):
        selectors.open_ageing(user, NOW, buckets)  # reads the role once
        with django_assert_num_queries(1):
            ageing, monthly = selectors.ageing_and_monthly(user, NOW, buckets, since)
        assert ageing == selectors.open_ageing(user, NOW, buckets)
        assert list(ageing) == list(selectors.open_ageing(user, NOW, buckets))
        assert monthly == selectors.filed_per_month(user, since)
    assert ageing["high"] == [0, 0, 0, 1] and ageing["medium"] == [1, 0, 0, 0]
    assert [m["complaints"] for m in monthly] == [1, 1, 1]  # the year-old one is not filed since
