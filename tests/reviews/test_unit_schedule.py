"""`unit_schedule`'s fixed SQL (PostgreSQL) gives `with_review_schedule`'s values, the one
rule for when a unit's review is due (issue 14): held, planned, never reviewed, due across the
autumn clock change, cadences of a week to a year; for every role's scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from reviews import selectors
from reviews.models import ReviewStatus
from stakeholders.models import BusinessUnit
from tests.factories import BusinessUnitFactory, ServiceReviewFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the night clocks go back in Europe
COLUMNS = ("pk", "last_held_at", "next_planned_at", "next_planned_id", "next_due_at")


def _values(rows) -> list[tuple[object, ...]]:
    return [(*(getattr(u, c) for c in COLUMNS), u.review_late) for u in rows]


@pytest.fixture
def units(unit_a, unit_b, brm):
    made = [unit_a, unit_b]
    for n, cadence in enumerate((7, 30, 90, 365)):
        made.append(BusinessUnitFactory.create(brm=brm, review_cadence_days=cadence, code=f"c{n}"))
    for n, unit in enumerate(made):
        BusinessUnit.objects.filter(pk=unit.pk).update(created_at=NOW - timedelta(days=40 * n))
        if n % 2:
            for when in (NOW - timedelta(days=n, hours=3), NOW - timedelta(days=60 + n)):
                ServiceReviewFactory.create(
                    unit=unit, status=ReviewStatus.HELD, scheduled_at=when, held_at=when
                )
        if n % 3:
            ServiceReviewFactory.create(unit=unit, scheduled_at=NOW + timedelta(days=n, hours=5))
            ServiceReviewFactory.create(unit=unit, scheduled_at=NOW + timedelta(days=20 + n))
    return made


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fixed SQL is PostgreSQL's")
@pytest.mark.parametrize("who", ["brm", "executive", "leader", "admin_user"])
def test_it_gives_the_rules_values_for_every_scope(request, units, who) -> None:
    user = request.getfixturevalue(who)
    with time_machine.travel(NOW, tick=False):
        rule = selectors.with_review_schedule(
            BusinessUnit.objects.visible_to(user).filter(active=True)
        ).order_by("next_due_at", "name")
        ours = _values(selectors.unit_schedule(user))
        assert ours == _values(rule)
    assert len(ours) == (1 if who == "leader" else 6)
    if who != "leader":  # late and on time both compared
        assert {late for *_, late in ours} == {True, False}
