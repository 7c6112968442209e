"""`manage.py bench_health` measures each size and promises query counts that do not grow."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_writes_one_row_per_size_with_equal_query_counts(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "health.json"

    call_command("bench_health", "--sizes", "3,6", "--no-wipe", "--out", str(out))

    report = json.loads(out.read_text())
    small, large = report["rows"]
    assert (small["units"], large["units"]) == (3, 6)
    for key in ("recompute_queries", "dashboard_queries", "api_queries"):
        assert small[key] == large[key] > 0, key
