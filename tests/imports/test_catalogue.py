"""Bulk import of the service catalogue: services by code, consumers, metrics by code + period."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from brm.imports.runner import run_import
from portfolio.models import Service, ServiceMetric
from tests.factories import ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db

SERVICES = (
    "Code,Name,Lifecycle,Availability target,Response time target minutes,Workload limit\n"
    "email,Email,Live,99.9,30,5000\n"
    'erp,ERP,pipeline,"99,5",,\n'
)
CONSUMERS = "Service,Unit\nemail,fin\nemail,ops\nerp,fin\n"
METRICS = (
    "Service;Period start;Period end;Availability;Incidents;Major incidents;Workload\n"
    "email;2026-01-01;2026-01-31;99.95;4;1;4200\n"
    "email;2026-02-01;2026-02-28;98.5;9;0;5100\n"
)


def _run(text: str | bytes, kind: str, actor, *, dry: bool = False, name: str = "file.csv"):
    data = text.encode() if isinstance(text, str) else text
    return run_import(kind, data, name, actor=actor, dry_run=dry)


def test_it_imports_services_by_code_and_a_second_run_changes_nothing(admin_user) -> None:
    first = _run(SERVICES, "services", admin_user)
    assert first.saved and (first.new, first.changed) == (2, 0), first.errors
    erp = Service.objects.get(code="erp")
    assert (erp.name, erp.lifecycle, erp.availability_target) == (
        "ERP",
        "pipeline",
        Decimal("99.5"),
    )
    assert erp.response_time_target_minutes is None
    versions = dict(Service.objects.values_list("code", "version"))
    again = _run(SERVICES, "services", admin_user)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    assert dict(Service.objects.values_list("code", "version")) == versions
    assert Service.history.filter(code="erp").count() == 1


def test_a_service_without_a_code_is_found_by_name_and_takes_the_code(admin_user) -> None:
    old = ServiceFactory.create(name="Email", code=None)
    summary = _run(SERVICES, "services", admin_user)
    assert (summary.new, summary.changed) == (1, 1), summary.errors
    old.refresh_from_db()
    assert (old.code, old.workload_limit) == ("email", 5000)


def test_a_dry_run_of_services_counts_and_saves_nothing(admin_user) -> None:
    summary = _run(SERVICES, "services", admin_user, dry=True)
    assert summary.ok and summary.new == 2 and not summary.saved
    assert not Service.objects.exists()


def test_bad_service_rows_are_reported_and_nothing_is_saved(admin_user) -> None:
    text = (
        "Code,Name,Lifecycle,Availability target\n"
        "ok,Fine,live,99\n"
        "bad code,Spaces,live,99\n"  # row 3: not a slug
        "pct,Too High,live,101\n"  # row 4: above 100 %
        "life,Odd,zombie,99\n"  # row 5: not a lifecycle
        "num,Not A Number,live,lots\n"  # row 6
    )
    summary = _run(text, "services", admin_user)
    assert {(e.row, e.column) for e in summary.errors} == {
        (3, "code"),
        (4, "availability_target"),
        (5, "lifecycle"),
        (6, "availability_target"),
    }
    assert not summary.saved and not Service.objects.exists()


@pytest.mark.parametrize("persona", ["brm", "executive"])
def test_only_those_who_edit_the_catalogue_import_it(request, persona) -> None:
    summary = _run(SERVICES, "services", request.getfixturevalue(persona))
    assert not summary.saved and [e.row for e in summary.errors] == [2, 3]
    assert not Service.objects.exists()


def test_consumers_by_service_and_unit_code(admin_user, unit_a, unit_b) -> None:
    _run(SERVICES, "services", admin_user)
    first = _run(CONSUMERS, "consumers", admin_user)
    assert first.saved and first.new == 3, first.errors
    email = Service.objects.get(code="email")
    assert set(email.consumers.values_list("code", flat=True)) == {"fin", "ops"}
    again = _run(CONSUMERS, "consumers", admin_user)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    stop = _run("Service,Unit,Consumes\nemail,ops,no\n", "consumers", admin_user)
    assert stop.changed == 1
    assert list(email.consumers.values_list("code", flat=True)) == ["fin"]


def test_consumer_rows_naming_nothing_known_are_errors(admin_user, unit_a) -> None:
    _run(SERVICES, "services", admin_user)
    summary = _run("Service,Unit\nnope,fin\nemail,nowhere\n,fin\n", "consumers", admin_user)
    assert sorted((e.row, e.column) for e in summary.errors) == [
        (2, "service"),
        (3, "unit"),
        (4, "service"),
    ]


def test_metrics_by_service_code_and_period_semicolons_and_twice(admin_user) -> None:
    _run(SERVICES, "services", admin_user)
    first = _run(METRICS, "metrics", admin_user)
    assert first.saved and first.new == 2, first.errors
    jan = ServiceMetric.objects.get(service__code="email", period_start=date(2026, 1, 1))
    assert (jan.availability, jan.incidents, jan.workload, jan.sla_met) == (
        Decimal("99.95"),
        4,
        4200,
        True,
    )
    feb = ServiceMetric.objects.get(period_start=date(2026, 2, 1))
    assert feb.sla_met is False  # 98.5 % is below the 99.9 % target
    again = _run(METRICS, "metrics", admin_user)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    changed = _run(METRICS.replace(";4;1;4200", ";5;1;4200"), "metrics", admin_user)
    assert (changed.changed, changed.unchanged) == (1, 1)
    jan.refresh_from_db()
    assert (jan.incidents, jan.version) == (5, 2)


def test_metrics_from_xlsx_with_excel_dates(admin_user) -> None:
    ServiceFactory.create(code="email", name="Email")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Service", "Period start", "Period end", "Availability", "Incidents"])
    sheet.append(["email", date(2026, 3, 1), date(2026, 3, 31), 99.7, 2.0])
    buffer = io.BytesIO()
    book.save(buffer)
    summary = _run(buffer.getvalue(), "metrics", admin_user, name="metrics.xlsx")
    assert summary.ok and summary.new == 1, summary.errors
    metric = ServiceMetric.objects.get()
    assert (metric.period_end, metric.availability) == (date(2026, 3, 31), Decimal("99.7"))


def test_bad_metric_rows_change_nothing(admin_user) -> None:
    service = ServiceFactory.create(code="email", name="Email")
    ServiceMetricFactory.create(
        service=service, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)
    )
    text = (
        "Service,Period start,Period end,Availability,Incidents,Major incidents\n"
        "email,2026-02-01,2026-02-28,99,1,0\n"  # row 2: fine, yet not saved
        "email,2026-01-15,2026-02-10,99,1,0\n"  # row 3: overlaps January
        "email,2026-03-01,2026-02-01,99,1,0\n"  # row 4: ends before it starts
        "email,2026-04-01,2026-04-30,99,1,2\n"  # row 5: more major incidents than incidents
        "email,01/05/2026,2026-05-31,99,1,0\n"  # row 6: not an ISO date
        "mail,2026-06-01,2026-06-30,99,1,0\n"  # row 7: unknown service
        "email,0001-01-01,0001-01-31,99,1,0\n"  # row 8: a year no form accepts
        "email,2026-07-01,9999-12-31,99,1,0\n"  # row 9: likewise
    )
    summary = _run(text, "metrics", admin_user)
    found = {(e.row, e.column) for e in summary.errors}
    assert {e.row for e in summary.errors} == {3, 4, 5, 6, 7, 8, 9}
    assert {(8, "period_start"), (9, "period_end")} <= found
    assert {(3, "period_end"), (4, "period_end"), (5, "major_incidents")} <= found
    assert {(6, "period_start"), (7, "service")} <= found
    assert "Overlaps the stored period" in next(e.message for e in summary.errors if e.row == 3)
    assert ServiceMetric.objects.count() == 1
