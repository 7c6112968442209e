"""Stakeholders are imported a chunk at a time: one lookup per chunk, bulk writes with history."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from brm.core.errors import StaleVersion
from brm.imports import runner
from brm.imports.runner import run_import
from stakeholders.models import Stakeholder
from stakeholders.services import save_stakeholders
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

HEADER = "Email,Name,Unit,Influence,Interest,Role\n"


def _people(n: int, unit: str = "fin", start: int = 0) -> str:
    rows = (f"p{i}@example.com,Person {i},{unit},{1 + i % 5},3,customer\n" for i in range(n))
    return HEADER + "".join(list(rows)[start:])


def _run(text: str, actor, *, dry: bool = False):
    return run_import("stakeholders", text.encode(), "people.csv", actor=actor, dry_run=dry)


def test_new_people_get_one_history_row_naming_the_importer(unit_a, integration) -> None:
    summary = _run(_people(3), integration)
    assert summary.saved and summary.new == 3, summary.errors
    history = Stakeholder.history.filter(email__endswith="@example.com")
    assert history.count() == 3
    assert {(h.history_type, h.history_user_id, h.history_change_reason) for h in history} == {
        ("+", integration.pk, "Bulk import")
    }
    assert set(
        Stakeholder.objects.filter(email__endswith="@example.com").values_list("version", flat=True)
    ) == {1}


def test_a_changed_person_gets_a_new_version_and_a_history_row(unit_a, unit_b, admin_user):
    person = StakeholderFactory.create(unit=unit_a, email="P0@Example.com", name="Old Name")
    summary = _run(_people(1, unit="ops"), admin_user)  # p0@example.com moves to ops
    assert (summary.new, summary.changed) == (0, 1), summary.errors
    person.refresh_from_db()
    assert (person.name, person.unit, person.version) == ("Person 0", unit_b, 2)
    latest = person.history.latest()
    assert (latest.history_type, latest.history_user_id) == ("~", admin_user.pk)


def test_rows_across_chunks_and_a_duplicate_in_another_chunk(
    monkeypatch, unit_a, admin_user
) -> None:
    monkeypatch.setattr(runner, "CHUNK", 2)
    text = _people(5) + "p0@example.com,Person 0,fin,1,3,customer\n"  # row 7 repeats row 2
    text += "p1@example.com,Someone Else,fin,2,3,customer\n"  # row 8: same key, other values
    summary = _run(text, admin_user)
    assert (summary.new, summary.duplicates) == (5, 1)
    assert [(e.row, e.column) for e in summary.errors] == [(8, "email")]
    assert not summary.saved and not Stakeholder.objects.filter(email="p0@example.com").exists()


def test_the_queries_do_not_grow_with_the_rows(
    unit_a, admin_user, django_assert_max_num_queries
) -> None:
    # Per chunk: people by email, units by code or name; then the bulk INSERTs of the people and
    # of their history rows; plus the transaction's savepoint bookkeeping.
    with django_assert_max_num_queries(10):
        small = _run(_people(5), admin_user)
    Stakeholder.objects.filter(email__endswith="@example.com").delete()
    with django_assert_max_num_queries(10):
        large = _run(_people(400), admin_user)
    assert (small.new, large.new) == (5, 400)


def test_a_dry_run_checks_everything_and_writes_nothing(unit_a, unit_b, brm) -> None:
    # The BRM of Finance may add to fin, not to ops: refused by row, in the dry run too.
    text = HEADER + "a@example.com,A,fin,3,3,user\nb@example.com,B,ops,3,3,user\n"
    summary = _run(text, brm, dry=True)
    assert (summary.new, [(e.row, e.column) for e in summary.errors]) == (1, [(3, "")])
    assert not Stakeholder.objects.filter(email__endswith="@example.com").exists()


def test_a_blank_cell_keeps_what_is_stored(unit_a, admin_user) -> None:
    StakeholderFactory.create(unit=unit_a, email="ana@example.com", name="Ana", influence=5)
    text = "Email,Name,Influence,Active\nana@example.com,Ana,,\n"
    summary = _run(text, admin_user)
    assert (summary.changed, summary.unchanged) == (0, 1), summary.errors
    person = Stakeholder.objects.get(email="ana@example.com")
    assert (person.influence, person.active) == (5, True)


def test_the_bulk_service_refuses_an_entry_saved_in_between(unit_a, admin_user) -> None:
    person = StakeholderFactory.create(unit=unit_a, email="ana@example.com")
    Stakeholder.objects.filter(pk=person.pk).update(version=2)  # someone saved meanwhile
    person.name = "Changed"
    with pytest.raises(StaleVersion):
        save_stakeholders([person], fields=["name"], actor=admin_user)
    assert Stakeholder.objects.get(pk=person.pk).name != "Changed"


def test_a_database_refusal_is_reported_and_nothing_is_kept(
    monkeypatch, unit_a, admin_user
) -> None:
    def refuse(*args, **kwargs):
        Stakeholder.objects.create(unit=unit_a, name="Half", email="half@example.com")
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("stakeholders.services.bulk_create_with_history", refuse)
    summary = _run(_people(3), admin_user)
    assert not summary.saved
    assert [(e.row, e.message[:32]) for e in summary.errors] == [
        (0, "The database refused the import:")
    ]
    assert not Stakeholder.objects.filter(email__endswith="@example.com").exists()
