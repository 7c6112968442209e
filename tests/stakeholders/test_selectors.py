"""The promise rules and the figures the top floor reads from the register."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from brm.health.unit_page import unit_timeline
from stakeholders import selectors
from stakeholders.models import ActionItem, ActionStatus, OwnerSide, Stakeholder
from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
# "Today" is the local date of NOW (the rules count in the site's time zone): 31 March in UTC,
# but already 1 April in London summer time, where `make test-dates` runs the suite.
TODAY = NOW.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _promise(unit, due_days_ago: int, status=ActionStatus.OPEN, completed_days_ago=None, **kw):
    return ActionItemFactory.create(
        unit=unit,
        due_date=TODAY - timedelta(days=due_days_ago),
        status=status,
        completed_at=(
            NOW - timedelta(days=completed_days_ago) if completed_days_ago is not None else None
        ),
        **kw,
    )


def test_it_does_not_count_a_promise_due_today_as_overdue(unit_a):
    today = _promise(unit_a, 0)
    yesterday = _promise(unit_a, 1)

    assert list(ActionItem.objects.overdue(TODAY)) == [yesterday]
    assert not today.is_overdue and yesterday.is_overdue


def test_it_counts_each_promise_in_exactly_one_outcome(unit_a):
    _promise(unit_a, 0)  # open
    _promise(unit_a, 1)  # overdue
    _promise(unit_a, 5, ActionStatus.DONE, completed_days_ago=6)  # on time
    _promise(unit_a, 5, ActionStatus.DONE, completed_days_ago=5)  # on time (same day)
    _promise(unit_a, 5, ActionStatus.DONE, completed_days_ago=2)  # late
    _promise(unit_a, 5, ActionStatus.DROPPED)

    counts = ActionItem.objects.promise_counts(TODAY - timedelta(days=30), TODAY, TODAY)

    assert counts == {"due": 6, "on_time": 2, "late": 1, "dropped": 1, "overdue": 1, "open": 1}
    for item in ActionItem.objects.all():
        assert ActionItem.objects.with_outcome(item.outcome, TODAY).filter(pk=item.pk).exists()


def test_it_counts_only_it_promises_in_the_window_of_units_the_user_sees(brm, unit_a, unit_b):
    _promise(unit_a, 1)
    _promise(unit_a, 1, owner_side=OwnerSide.BUSINESS)
    _promise(unit_a, 40)  # before the window
    _promise(unit_b, 1)

    counts = selectors.promise_counts(TODAY - timedelta(days=29), TODAY, user=brm, today=TODAY)
    by_unit = selectors.promise_counts_by_unit(TODAY - timedelta(days=29), TODAY, today=TODAY)

    assert counts["overdue"] == 2  # a BRM reads every unit; the business's promise is not IT's
    assert by_unit[unit_a.pk]["overdue"] == by_unit[unit_b.pk]["overdue"] == 1


def test_it_counts_overdue_promises_per_unit_with_or_without_the_business_side(unit_a, unit_b):
    _promise(unit_a, 1)
    _promise(unit_a, 2, owner_side=OwnerSide.BUSINESS)
    _promise(unit_b, 0)

    assert selectors.overdue_promises_by_unit([unit_a.pk, unit_b.pk], today=TODAY) == {unit_a.pk: 1}
    assert selectors.overdue_promises_by_unit([unit_a.pk], today=TODAY, it_only=False) == {
        unit_a.pk: 2
    }


def test_it_gives_the_unit_list_the_same_overdue_count(brm, unit_a):
    _promise(unit_a, 0)
    _promise(unit_a, 1)
    _promise(unit_a, 9, owner_side=OwnerSide.BUSINESS)

    row = selectors.unit_list(brm).get(pk=unit_a.pk)

    assert (row.open_commitments, row.overdue_commitments) == (3, 2)  # type: ignore[attr-defined]  # annotated by unit_list


def test_it_hides_private_notes_from_the_business_in_timeline_entries(unit_a, leader, brm):
    InteractionFactory.create(
        unit=unit_a, notes="Budget is tight", occurred_at=NOW - timedelta(days=1)
    )
    before = NOW + timedelta(days=1)

    for_leader, _ = unit_timeline(unit_a, leader, before=before, limit=5)
    for_brm, _ = unit_timeline(unit_a, brm, before=before, limit=5)

    assert [e.obj.notes for e in for_leader] == [""]
    assert [e.obj.notes for e in for_brm] == ["Budget is tight"]


def test_it_names_the_first_people_of_a_map_cell_and_counts_them_all(unit_a):
    for name in ["Fay", "Cy", "Eve", "Al", "Bo", "Di"]:
        StakeholderFactory.create(unit=unit_a, name=name, influence=5, interest=4)
    StakeholderFactory.create(unit=unit_a, name="Zed", influence=1, interest=1)

    grid = selectors.stakeholder_grid(Stakeholder.objects.filter(unit=unit_a), shown=4)

    cell = grid[0][3]  # influence 5 (top row), interest 4
    assert (cell.count, cell.more) == (6, 2)
    assert [p["name"] for p in cell.people] == ["Al", "Bo", "Cy", "Di"]
    assert (grid[4][0].count, [p["name"] for p in grid[4][0].people]) == (1, ["Zed"])
    assert sum(c.count for row in grid for c in row) == 7
