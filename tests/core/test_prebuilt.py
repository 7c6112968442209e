"""`brm.core.prebuilt.Prebuilt`: a list's queryset built once for IT's readers and cloned for
each, built per call for anyone else. What it must never do is hand one reader what another
may not see, or bake in a day, a time zone or a language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation

import brm.health.api.views  # noqa: F401  each module below makes its Prebuilt at import
import brm.health.selectors  # noqa: F401
from brm.core import prebuilt
from brm.health.models import HealthSnapshot
from brm.health.selectors import latest_snapshots
from complaints.selectors import complaint_list
from stakeholders import selectors as register
from tests.factories import BusinessUnitFactory, ComplaintFactory, StakeholderFactory

# Each test starts with nothing kept, as a new process does.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("nothing_kept")]

# Every list built this way, by the module that makes it: a new one must be added here, so
# the checks below cover it.
KNOWN = {
    "stakeholders.selectors",
    "complaints.selectors",
    "brm.health.selectors",
    "brm.health.api.views",
}


def _sql(qs) -> tuple[str, tuple]:
    """The SQL and parameters `qs` would run: what two querysets are compared by."""
    sql, params = qs.query.get_compiler(connection=connection).as_sql()
    return str(sql), tuple(params)


@pytest.fixture
def it_readers(brm, executive, admin_user, integration):
    return [brm, executive, admin_user, integration]


def test_every_prebuilt_is_known():
    assert {p.build.__module__ for p in prebuilt.ALL} == KNOWN


def _fresh(each: prebuilt.Prebuilt, user) -> tuple[str, tuple]:
    """The SQL of `each.build(user)` with nothing kept, so a build that calls another
    Prebuilt (the health API's rows call `latest_snapshots`) builds that one afresh too."""
    prebuilt.forget()
    return _sql(each.build(user))


def test_what_one_it_reader_is_given_is_what_a_fresh_build_gives_any_other(it_readers, leader):
    # The rule each build keeps: for readers of every unit it is the same whoever they are.
    for each in prebuilt.ALL:
        kept = _sql(each(it_readers[0]))
        for reader in it_readers:
            assert _fresh(each, reader) == kept, each.build
        # A leader is never given the kept one: theirs is scoped to their unit.
        assert _sql(each(leader)) != kept


def test_nobody_without_a_role_is_given_the_kept_rows(brm, no_role_user, unit_a):
    StakeholderFactory.create(unit=unit_a)
    ComplaintFactory.create(unit=unit_a)
    assert register.stakeholder_list(brm).count() == 1 and complaint_list(brm).count() == 1
    assert list(register.stakeholder_list(no_role_user)) == []
    assert list(complaint_list(no_role_user)) == []


def test_no_build_depends_on_the_day_the_time_zone_or_the_language(brm):
    builds = []
    for moment, zone, language in [
        (datetime(2026, 3, 28, 23, 30, tzinfo=ZoneInfo("UTC")), "Europe/Madrid", "en-gb"),
        (datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("UTC")), "Pacific/Auckland", "es"),
    ]:
        with (
            time_machine.travel(moment, tick=False),
            timezone.override(zone),
            translation.override(language),
        ):
            builds.append([_fresh(each, brm) for each in prebuilt.ALL])
    assert builds[0] == builds[1]


def test_each_reader_gets_a_queryset_of_their_own(brm, executive, unit_a, unit_b):
    StakeholderFactory.create_batch(3, unit=unit_a)
    StakeholderFactory.create(unit=unit_b)
    first = register.stakeholder_list(brm)
    narrowed = first.filter(unit=unit_b)
    assert [p.unit_id for p in narrowed] == [unit_b.pk]
    assert len(first) == 4  # evaluated: its rows are cached on it

    # A caller may even change its clone's query in place (as a paginator or a statement replay
    # could): the next reader's is untouched, and the kept one was never read.
    first.query.add_q(Q(unit=unit_b))
    first.query.clear_ordering(force=True)
    assert [p.unit_id for p in first.all()] == [unit_b.pk]
    second = register.stakeholder_list(executive)
    assert second is not first and second._result_cache is None  # nothing read, nothing inherited
    kept = register.stakeholder_list._base
    assert kept is not None and kept._result_cache is None
    assert _sql(second) == _fresh(register.stakeholder_list, executive)
    assert second.count() == 4
    # A row added after the first build is read: the queryset is kept, never its rows.
    StakeholderFactory.create(unit=unit_b)
    assert register.stakeholder_list(brm).count() == 5


def test_a_leader_sees_only_their_unit_after_it_built_the_whole_register(
    brm, leader, leader_b, unit_a, unit_b
):
    StakeholderFactory.create_batch(2, unit=unit_a)
    StakeholderFactory.create_batch(3, unit=unit_b)
    assert register.stakeholder_list(brm).count() == 2 + 3 + 2  # the two leaders are people too
    assert {p.unit_id for p in register.stakeholder_list(leader)} == {unit_a.pk}
    assert {p.unit_id for p in register.stakeholder_list(leader_b)} == {unit_b.pk}


def test_health_for_it_then_a_leader_then_someone_without_a_role(
    brm, leader, no_role_user, unit_a, unit_b
):
    other = BusinessUnitFactory.create()
    for unit in (unit_a, unit_b, other):
        HealthSnapshot.objects.create(unit=unit, as_of=timezone.localdate(), score=50.0)
    assert {s.unit_id for s in latest_snapshots(brm)} == {unit_a.pk, unit_b.pk, other.pk}
    assert {s.unit_id for s in latest_snapshots(leader)} == {unit_a.pk}
    assert list(latest_snapshots(no_role_user)) == []
    # The kept one still answers IT in full after the others were served.
    assert latest_snapshots(brm).count() == 3


def test_complaints_for_it_then_a_leader_who_also_filed_elsewhere(
    executive, leader, leader_b, unit_a, unit_b
):
    theirs = ComplaintFactory.create(unit=unit_a)
    elsewhere = ComplaintFactory.create(unit=unit_b, complainant=leader)  # filed by the leader
    other = ComplaintFactory.create(unit=unit_b)
    assert {c.pk for c in complaint_list(executive)} == {theirs.pk, elsewhere.pk, other.pk}
    assert {c.pk for c in complaint_list(leader)} == {theirs.pk, elsewhere.pk}
    assert {c.pk for c in complaint_list(leader_b)} == {elsewhere.pk, other.pk}
    assert complaint_list(executive).count() == 3
