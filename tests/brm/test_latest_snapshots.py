"""`HealthSnapshot.objects.latest_per_unit`: each unit's newest snapshot, or the newest as it
stood on a past date; the one rule the dashboard, the health API, the weekly digest and the
engine's trend read."""

from __future__ import annotations

from datetime import date

import pytest

from brm.health.models import HealthSnapshot
from stakeholders.models import BusinessUnit
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


def _snapshots(unit: BusinessUnit, *days: date) -> None:
    for day in days:
        HealthSnapshot.objects.create(unit=unit, as_of=day, score=float(day.day))


def _newest(qs) -> dict[int, date]:
    rows = list(qs.values_list("unit_id", "as_of"))
    assert len(rows) == len({unit for unit, _ in rows}), "one snapshot per unit at most"
    return dict(rows)


def test_it_gives_each_units_newest_snapshot_then_or_now(unit_a, unit_b, leader):
    never = BusinessUnitFactory.create()  # no snapshot at all: no row
    late = BusinessUnitFactory.create()  # only snapshots after the past date asked for
    # Days out of order, and the newest day of one unit older than another's oldest.
    _snapshots(unit_a, date(2026, 3, 2), date(2026, 1, 5), date(2026, 2, 9))
    _snapshots(unit_b, date(2025, 11, 3), date(2025, 12, 1))
    _snapshots(late, date(2026, 2, 16))

    assert _newest(HealthSnapshot.objects.latest_per_unit()) == {
        unit_a.pk: date(2026, 3, 2),
        unit_b.pk: date(2025, 12, 1),
        late.pk: date(2026, 2, 16),
    }
    assert _newest(HealthSnapshot.objects.latest_per_unit(on_or_before=date(2026, 2, 9))) == {
        unit_a.pk: date(2026, 2, 9),  # the day itself counts
        unit_b.pk: date(2025, 12, 1),
    }
    assert _newest(HealthSnapshot.objects.latest_per_unit(on_or_before=date(2025, 11, 30))) == {
        unit_b.pk: date(2025, 11, 3)
    }
    assert _newest(HealthSnapshot.objects.latest_per_unit(on_or_before=date(2025, 11, 2))) == {}
    assert never.pk not in _newest(HealthSnapshot.objects.latest_per_unit())
    # A reader's scope still applies, before or after: the leader sees their own unit's only.
    assert _newest(HealthSnapshot.objects.visible_to(leader).latest_per_unit()) == {
        unit_a.pk: date(2026, 3, 2)
    }
    assert _newest(HealthSnapshot.objects.latest_per_unit().visible_to(leader)) == {
        unit_a.pk: date(2026, 3, 2)
    }
    # A newer day replaces the unit's newest at once.
    _snapshots(unit_b, date(2026, 3, 9))
    assert _newest(HealthSnapshot.objects.latest_per_unit())[unit_b.pk] == date(2026, 3, 9)
