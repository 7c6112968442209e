"""`manage.py bench_health` measures each size and promises query counts that do not grow."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_writes_one_row_per_size_with_equal_query_counts(tmp_path):
    out = tmp_path / "health.json"

    # Whether a generated unit is red depends on the day; the plan step runs the same queries
    # either way (brm.health.plans.propose_plans), and the frozen clock keeps the data fixed.
    with time_machine.travel(datetime(2026, 3, 31, 9, 0, tzinfo=UTC), tick=True):
        call_command("bench_health", "--sizes", "3,6", "--no-wipe", "--out", str(out))

    report = json.loads(out.read_text())
    small, large = report["rows"]
    assert (small["units"], large["units"]) == (3, 6)
    for key in ("recompute_queries", "dashboard_queries", "api_queries"):
        assert small[key] == large[key] > 0, key


@pytest.mark.parametrize("day", ["2026-02-28", "2026-03-29", "2028-02-29", "2026-11-30"])
def test_it_counts_the_same_queries_whatever_the_day(tmp_path, day):
    out = tmp_path / "health.json"

    with time_machine.travel(datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=True):
        call_command("bench_health", "--sizes", "3,6", "--no-wipe", "--out", str(out))

    small, large = json.loads(out.read_text())["rows"]
    assert small["recompute_queries"] == large["recompute_queries"] > 0
