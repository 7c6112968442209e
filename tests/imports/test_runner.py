"""Bulk import of units and stakeholders: real files' quirks, per-row errors, idempotency."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from brm.imports.runner import run_import
from stakeholders.models import BusinessUnit, Stakeholder
from tests.factories import BusinessUnitFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

PEOPLE = (
    "Email,Name,Job title,Unit,Role,Influence,Interest,Active\n"
    "ana@example.com,Ana Ávila,CFO,fin,Sponsor,5,4,yes\n"
    "bo@example.com,Bo Berg,Controller,FIN,customer,3,3,no\n"
)


def _run(text_or_bytes: str | bytes, kind: str = "stakeholders", *, actor=None, dry=False):
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    return run_import(kind, data, "people.csv", actor=actor, dry_run=dry)


def test_a_dry_run_counts_and_saves_nothing(unit_a, admin_user) -> None:
    summary = _run(PEOPLE, actor=admin_user, dry=True)
    assert summary.ok and (summary.new, summary.changed, summary.unchanged) == (2, 0, 0)
    assert not summary.saved
    assert not Stakeholder.objects.filter(email__endswith="@example.com").exists()


def test_a_real_run_saves_and_a_second_run_changes_nothing(unit_a, admin_user) -> None:
    first = _run(PEOPLE, actor=admin_user)
    assert first.saved and first.new == 2
    ana = Stakeholder.objects.get(email="ana@example.com")
    assert (ana.unit, ana.role_type, ana.influence, ana.name) == (unit_a, "sponsor", 5, "Ana Ávila")
    assert Stakeholder.objects.get(email="bo@example.com").active is False
    versions = dict(Stakeholder.objects.values_list("email", "version"))
    second = _run(PEOPLE, actor=admin_user)
    assert (second.new, second.changed, second.unchanged) == (0, 0, 2)
    assert dict(Stakeholder.objects.values_list("email", "version")) == versions


def test_a_changed_row_is_counted_and_saved_as_a_new_version(unit_a, admin_user) -> None:
    _run(PEOPLE, actor=admin_user)
    summary = _run(PEOPLE.replace("CFO", "Finance Director"), actor=admin_user)
    assert (summary.new, summary.changed, summary.unchanged) == (0, 1, 1)
    ana = Stakeholder.objects.get(email="ana@example.com")
    assert (ana.job_title, ana.version) == ("Finance Director", 2)


def test_utf8_with_bom_semicolons_and_trailing_blanks(unit_a, admin_user) -> None:
    text = "\ufeffEmail ; Name;Unit;Role\r\nana@example.com  ;Ana Ávila   ;fin ;sponsor  \r\n"
    summary = _run(text.encode("utf-8"), actor=admin_user)
    assert summary.ok and summary.new == 1
    assert Stakeholder.objects.get(email="ana@example.com").name == "Ana Ávila"


def test_windows_1252(unit_a, admin_user) -> None:
    summary = _run("Email;Name;Unit\nzoe@example.com;Zoë Müller – CFO;fin\n".encode("cp1252"))
    assert summary.ok, summary.errors
    assert Stakeholder.objects.get(email="zoe@example.com").name == "Zoë Müller – CFO"


def test_an_xlsx_made_with_openpyxl(admin_user) -> None:
    BusinessUnitFactory.create(code="hr", name="People")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Code", "Name", "Parent", "Review cadence days", "Active", "Founded"])
    sheet.append(["sales", "Sales  ", "hr", 30.0, "yes", date(2020, 1, 31)])
    sheet.append([None, None, None, None, None, None])  # a blank row Excel leaves behind
    buffer = io.BytesIO()
    book.save(buffer)
    summary = run_import("units", buffer.getvalue(), "units.xlsx", actor=admin_user, dry_run=False)
    assert summary.ok and (summary.total, summary.new) == (1, 1)
    sales = BusinessUnit.objects.get(code="sales")
    assert (sales.name, sales.parent.code, sales.review_cadence_days) == ("Sales", "hr", 30)


def test_excel_dates_read_as_iso_text() -> None:
    from brm.imports.reading import cell_text

    assert cell_text(date(2026, 3, 1)) == "2026-03-01"
    assert cell_text(12.0) == "12"


def test_broken_rows_are_reported_per_row_and_nothing_is_saved(unit_a, admin_user) -> None:
    text = (
        "Email,Name,Unit,Influence,Role\n"
        "ok@example.com,Fine Person,fin,3,customer\n"  # row 2: fine, yet not saved
        "bad@example.com,Line\u2028Break,fin,3,customer\n"  # row 3: not one line
        "x@example.com,No Unit,nowhere,3,customer\n"  # row 4: unknown unit
        "y@example.com,Too Much,fin,9,customer\n"  # row 5: influence 1-5
        "z@example.com,Odd Role,fin,3,wizard\n"  # row 6: not a role
        ",No Email,fin,3,customer\n"  # row 7: key missing
        "ok@example.com,Other Name,fin,3,customer\n"  # row 8: same key, other values
    )
    summary = _run(text, actor=admin_user)
    assert not summary.saved and not summary.ok
    by_row = {(e.row, e.column) for e in summary.errors}
    assert by_row == {
        (3, "name"),
        (4, "unit"),
        (5, "influence"),
        (6, "role_type"),
        (7, "email"),
        (8, "email"),
    }
    assert "nowhere" in next(e.message for e in summary.errors if e.row == 4)
    assert not Stakeholder.objects.filter(email__endswith="@example.com").exists()


def test_identical_duplicate_rows_are_reported_and_imported_once(unit_a, admin_user) -> None:
    summary = _run(PEOPLE + PEOPLE.split("\n", 1)[1], actor=admin_user)
    assert summary.ok and (summary.new, summary.duplicates) == (2, 2)
    assert Stakeholder.objects.filter(email="ana@example.com").count() == 1


def test_a_file_without_the_key_column_or_not_a_table() -> None:
    assert _run("Name,Unit\nA,fin\n").errors[0].message == "The file has no 'email' column."
    assert _run(b"\xff\xfe\x00\x81\x8d").errors[0].row in {0, 1}
    assert _run(b"PK\x03\x04junk").errors[0].message == "The workbook cannot be read as XLSX."


def test_the_writes_go_through_the_services_rules(unit_a, unit_b, brm) -> None:
    # A BRM may add people to their own unit, not to another BRM's.
    text = "Email,Name,Unit\nmine@example.com,Mine,fin\ntheirs@example.com,Theirs,ops\n"
    summary = _run(text, actor=brm)
    assert [(e.row, e.column) for e in summary.errors] == [(3, "")]
    assert not summary.saved


def test_units_by_code_with_their_parent_and_twice_import(admin_user) -> None:
    text = "Code,Name,Parent\ngroup,Group,\nfin,Finance,group\n"
    assert _run(text, "units", actor=admin_user).new == 2
    again = _run(text, "units", actor=admin_user)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    assert BusinessUnit.objects.get(code="fin").parent == BusinessUnit.objects.get(code="group")


def test_the_register_export_re_imports_unchanged(client, admin_user, unit_a, unit_b) -> None:
    StakeholderFactory.create(
        unit=unit_a, email="ana@example.com", name="Ana", phone="+44 20 7946 0000"
    )
    StakeholderFactory.create(unit=unit_b, email="bo@example.com", name="=Bo", active=False)
    client.force_login(admin_user)
    response = client.get(reverse("stakeholders:stakeholder_export"))
    data = b"".join(response.streaming_content)
    summary = run_import("stakeholders", data, "stakeholders.csv", actor=admin_user, dry_run=False)
    assert summary.ok, summary.errors
    assert (summary.new, summary.changed, summary.unchanged) == (0, 0, 2)


def test_a_choice_imports_by_its_label_in_any_language(unit_a, admin_user) -> None:
    """A Spanish export (labels in Spanish, "sí") imports again with English active."""
    summary = _run(
        f"Email,Name,Unit,Role,Preferred channel,Active\n"
        f"ana@example.com,Ana,{unit_a.code},Patrocinador,Teléfono,sí\n",
        actor=admin_user,
    )
    assert summary.errors == []
    person = Stakeholder.objects.get(email="ana@example.com")
    assert (person.role_type, person.preferred_channel, person.active) == ("sponsor", "phone", True)
