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
        call_command(
            "bench_health", "--sizes", "3,6", "--only", "health", "--no-wipe", "--out", str(out)
        )

    report = json.loads(out.read_text())
    small, large = report["rows"]
    assert (small["units"], large["units"]) == (3, 6)
    for key in ("recompute_queries", "dashboard_queries", "api_queries"):
        assert small[key] == large[key] > 0, key


@pytest.mark.parametrize("day", ["2026-02-28", "2026-03-29", "2028-02-29", "2026-11-30"])
def test_it_counts_the_same_queries_whatever_the_day(tmp_path, day):
    out = tmp_path / "health.json"

    with time_machine.travel(datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=True):
        call_command(
            "bench_health", "--sizes", "3,6", "--only", "health", "--no-wipe", "--out", str(out)
        )

    small, large = json.loads(out.read_text())["rows"]
    assert small["recompute_queries"] == large["recompute_queries"] > 0


def test_the_import_row_runs_alone_and_a_second_import_changes_nothing(tmp_path):
    out = tmp_path / "health.json"

    call_command(
        "bench_health",
        "--only",
        "import",
        "--import-rows",
        "300",
        "--trace-memory",
        "--no-wipe",
        "--out",
        str(out),
    )

    report = json.loads(out.read_text())
    assert report["rows"] == []
    imported = report["import"]
    assert imported["rows"] == 300
    assert (imported["dry_run"]["new"], imported["dry_run"]["saved"]) == (300, False)
    assert (imported["real_run"]["new"], imported["real_run"]["saved"]) == (300, True)
    assert (imported["repeat"]["unchanged"], imported["repeat"]["changed"]) == (300, 0)
    for phase in ("dry_run", "real_run"):
        assert imported[phase]["seconds"] > 0 and imported[phase]["traced_peak_mb"] > 0
    assert imported["max_rss_mb"] > 0
