"""Every register export re-imports unchanged: units, stakeholders and the service catalogue.

Each export is read back by the bulk import as it was downloaded: every row is found by its
natural key and nothing changes (no new rows, no versions bumped). The rows hold what real data
holds: formula-like names the export guards with an apostrophe, commas, quotes, accents, line
breaks in descriptions, empty optional figures, inactive records.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from brm.imports.runner import run_import
from portfolio.models import Service
from stakeholders.models import BusinessUnit, Stakeholder
from tests.factories import BusinessUnitFactory, ServiceFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _download(client, user, url_name: str) -> bytes:
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _versions(model) -> dict[int, int]:
    return dict(model.objects.values_list("pk", "version"))


def test_the_unit_export_re_imports_unchanged(client, admin_user, brm) -> None:
    group = BusinessUnitFactory.create(code="group", name='=Group, "the" holding', brm=brm)
    BusinessUnitFactory.create(
        code="zz-fin",
        name="Finance & Contrôle",
        parent=group,
        description="Two lines:\nbudget; forecast",
        review_cadence_days=30,
    )
    BusinessUnitFactory.create(code="ops", name="-Operations", active=False, parent=group)
    before = _versions(BusinessUnit)

    data = _download(client, admin_user, "stakeholders:unit_export")
    summary = run_import("units", data, "business-units.csv", actor=admin_user, dry_run=False)

    assert summary.ok, summary.errors
    assert (summary.total, summary.new, summary.changed, summary.unchanged) == (3, 0, 0, 3)
    assert _versions(BusinessUnit) == before


def test_the_stakeholder_export_re_imports_unchanged(client, admin_user, unit_a, unit_b) -> None:
    StakeholderFactory.create(
        unit=unit_a,
        email="ana@example.com",
        name='Ana Ávila, "Anita"',
        job_title="+CFO",
        role_type="sponsor",
        preferred_channel="in_person",
        influence=5,
        interest=1,
        phone="+44 20 7946 0000",
    )
    StakeholderFactory.create(unit=unit_b, email="bo@example.com", name="@Bo", active=False)
    before = _versions(Stakeholder)

    data = _download(client, admin_user, "stakeholders:stakeholder_export")
    summary = run_import("stakeholders", data, "stakeholders.csv", actor=admin_user, dry_run=False)

    assert summary.ok, summary.errors
    assert (summary.total, summary.new, summary.changed, summary.unchanged) == (2, 0, 0, 2)
    assert _versions(Stakeholder) == before


def test_the_service_export_re_imports_unchanged_and_rebuilds_the_catalogue(
    client, admin_user
) -> None:
    ServiceFactory.create(
        code="email",
        name='=Email; "Exchange"',
        lifecycle="live",
        availability_target=Decimal("99.950"),
        response_time_target_minutes=30,
        workload_limit=5000,
        workload_unit="tickets",
        description="Mail for everyone.\nSecond line, with a comma.",
    )
    ServiceFactory.create(code="erp", name="ERP", lifecycle="retired", availability_target=99)
    before = _versions(Service)

    data = _download(client, admin_user, "portfolio:service_export")
    summary = run_import("services", data, "services.csv", actor=admin_user, dry_run=False)
    assert summary.ok, summary.errors
    assert (summary.total, summary.new, summary.changed, summary.unchanged) == (2, 0, 0, 2)
    assert _versions(Service) == before

    # Into an empty catalogue, the same file makes the same services (the export is complete).
    Service.objects.all().delete()
    rebuilt = run_import("services", data, "services.csv", actor=admin_user, dry_run=False)
    assert rebuilt.new == 2, rebuilt.errors
    assert _download(client, admin_user, "portfolio:service_export") == data


def test_the_unit_export_follows_the_list_scope(client, admin_user, leader, unit_a, unit_b):
    # A business leader reads their own unit only, as on the list; anonymous callers log in.
    data = _download(client, leader, "stakeholders:unit_export").decode("utf-8-sig")
    assert "fin," in data and "ops," not in data
    client.logout()
    assert client.get(reverse("stakeholders:unit_export")).status_code == 302


def test_the_service_export_follows_the_list_scope(client, leader, unit_a, unit_b) -> None:
    ServiceFactory.create(code="mine", name="Mine", consumers=[unit_a])
    ServiceFactory.create(code="theirs", name="Theirs", consumers=[unit_b])
    data = _download(client, leader, "portfolio:service_export").decode("utf-8-sig")
    assert "mine," in data and "theirs" not in data
    client.logout()
    assert client.get(reverse("portfolio:service_export")).status_code == 302


def test_the_exports_run_a_fixed_number_of_queries(
    client, admin_user, django_assert_max_num_queries
) -> None:
    for i in range(30):
        unit = BusinessUnitFactory.create(code=f"u-{i}", name=f"Unit {i}")
        ServiceFactory.create(code=f"s-{i}", name=f"Service {i}", consumers=[unit])
    client.force_login(admin_user)
    # Session and user, then one query for the rows (units with parent and BRM joined).
    for name in ("stakeholders:unit_export", "portfolio:service_export"):
        with django_assert_max_num_queries(6):
            response = client.get(reverse(name))
            body = b"".join(response.streaming_content)
        assert body.count(b"\n") == 31
