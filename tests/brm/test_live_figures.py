"""My relationships' live figures read a BRM's units as a subquery and replay their three
queries with the BRM's id and the time (issue 14): the same figures as by a list of ids, for
units managed as BRM or deputy, never another BRM's, and new overdue work is counted at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from brm.health.selectors import live_figures
from complaints.models import Complaint
from tests.factories import ActionItemFactory, BusinessUnitFactory, ComplaintFactory

pytestmark = pytest.mark.django_db


def _overdue_complaint(unit: Any) -> None:
    complaint = ComplaintFactory.create(unit=unit)
    Complaint.objects.filter(pk=complaint.pk).update(
        acknowledge_by=timezone.now() - timedelta(days=2)
    )


@pytest.mark.usefixtures("nothing_kept")
def test_figures_by_manager_equal_figures_by_ids_and_follow_new_work(
    brm: Any, other_brm: Any, unit_a: Any, unit_b: Any
) -> None:
    deputy_of = BusinessUnitFactory.create(name="Deputised", brm=other_brm, deputy=brm)
    for unit in (unit_a, deputy_of, unit_b):  # unit_b is another BRM's
        _overdue_complaint(unit)
        ActionItemFactory.create(unit=unit, due_date=timezone.localdate() - timedelta(days=3))
    mine = [unit_a.pk, deputy_of.pk]
    now = timezone.now()

    by_ids = live_figures(mine, now)
    by_manager = live_figures(mine, now, manager=brm.pk)
    assert by_manager == by_ids
    assert {u: (f.overdue_complaints, f.overdue_promises) for u, f in by_manager.items()} == {
        unit_a.pk: (1, 1),
        deputy_of.pk: (1, 1),
    }
    # Replayed for another BRM and again for this one after new overdue work.
    assert live_figures([unit_b.pk], now, manager=other_brm.pk)[unit_b.pk].overdue_complaints == 1
    _overdue_complaint(unit_a)
    again = live_figures(mine, timezone.now(), manager=brm.pk)
    assert again[unit_a.pk].overdue_complaints == 2
    assert again == live_figures(mine, timezone.now())
