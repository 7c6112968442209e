"""Money and counts carry the locale's separators and a currency (issue 15: "3570000")."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from brm.core.templatetags.brm import count, money
from tests.factories import DemandFactory


def test_money_groups_thousands_and_shows_the_currency(settings):
    settings.BRM_CURRENCY = "EUR"
    with translation.override("en-gb"):
        assert money(Decimal("3570000")) == "€3,570,000"
        assert money(Decimal("1234.5"), "GBP") == "£1,234.50"
        assert money(-2500, "SEK") == "-SEK 2,500"
        assert money(None) == "—"


def test_the_currency_setting_is_the_default(settings):
    settings.BRM_CURRENCY = "GBP"
    html = Template("{% load brm %}{{ v|money }}").render(Context({"v": 120000}))
    assert html == "£120,000"


def test_counts_group_thousands():
    with translation.override("en-gb"):
        assert count(12500) == "12,500"
        assert count("7") == "7"


MONEY = re.compile(
    r"\{\{\s*[\w.]*(amount|_value|planned_total|realised_total|expected_benefit|estimated_cost|leakage)\s*(\||\}\})"
)


def test_no_template_shows_an_amount_without_the_money_filter():
    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in [*root.rglob("*.html"), *root.rglob("*.txt")]:
        for match in re.finditer(r"\{\{[^}]*\}\}", path.read_text()):
            expr = match.group(0)
            if MONEY.search(expr) and "|money" not in expr:
                offenders.append(f"{path.relative_to(root)}: {expr}")
    assert offenders == []


@pytest.mark.django_db
def test_pages_format_and_the_csv_keeps_raw_numbers(client, brm, unit_a):
    DemandFactory.create(
        unit=unit_a,
        status="assessing",
        title="Big idea",
        expected_benefit=Decimal("1250000"),
        estimated_cost=Decimal("400000"),
    )
    client.force_login(brm)
    html = client.get("/demands/").content.decode()
    assert "€1,250,000" in html and "€400,000" in html
    response = client.get("/demands/export.csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    )
    header, row = rows[0], rows[1]
    assert row[header.index("Expected benefit")] in {"1250000", "1250000.00"}


@pytest.mark.django_db
def test_the_portfolio_pages_show_the_one_currency(client, brm, unit_a, settings):
    """One currency setting (issue 15): the demand pages follow BRM_CURRENCY, as the filter does;
    the demand settings no longer hold a currency of their own."""
    from portfolio.models import DemandSettings

    settings.BRM_CURRENCY = "GBP"
    DemandFactory.create(unit=unit_a, status="assessing", expected_benefit=Decimal("1250000"))
    client.force_login(brm)
    html = client.get("/demands/").content.decode()
    assert "£1,250,000" in html and "Amounts in GBP" in html and "€" not in html
    assert "currency" not in {f.name for f in DemandSettings._meta.get_fields()}


@pytest.mark.parametrize("value", ["EURO", "E1", "€"])
def test_a_malformed_currency_setting_stops_the_start(value):
    import subprocess
    import sys

    env = {"BRM_CURRENCY": value, "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", "import brm.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode != 0 and "is not an ISO 4217 code" in result.stderr
