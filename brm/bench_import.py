"""The bulk import's benchmark for `manage.py bench_health --only import`: N stakeholders from
one CSV file, as a dry run, a real run and the same file again (which must change nothing).

Project wiring (it creates units and a user directly), so it may import every app. Each phase
reports wall time and this process's CPU time (seconds) and the process's peak resident size
so far (getrusage maxrss, MB, the interpreter and Django included: after the dry run it is the
dry run's peak, after the real run the larger of both). With `trace_memory`, a second pass
also measures the peak of memory Python allocated in each run (tracemalloc, MB; slow, so kept
out of the timings).
"""

from __future__ import annotations

import csv
import gc
import io
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from brm.core.roles import GROUP_NAMES, Role
from brm.imports.runner import Summary, run_import
from stakeholders.models import BusinessUnit

AIM_SECONDS = 60.0
AIM_MB = 500.0
UNITS = 200
HEADER = ["Email", "Name", "Job title", "Unit", "Role", "Influence", "Interest", "Active"]
ROLES = ["Customer", "User", "Sponsor", "Supplier"]


def import_file(rows: int, *, tag: str = "bench") -> bytes:
    """A stakeholder CSV of `rows` people spread over `UNITS` units (codes `<tag>-u000`...)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        writer.writerow(
            [
                f"person{i:06d}@{tag}.example.com",
                f"Person Number {i}",
                "Analyst" if i % 3 else "Head of Finance",
                f"{tag}-u{i % UNITS:03d}",
                ROLES[i % len(ROLES)],
                1 + i % 5,
                1 + (i // 5) % 5,
                "yes" if i % 17 else "no",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _max_rss_mb() -> float:
    # Linux reports kilobytes, macOS bytes.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _traced_peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()


def bench_import(rows: int, *, trace_memory: bool = False) -> dict[str, Any]:
    """Measure a dry run, a real run and a repeat of `rows` stakeholders (writes the database:
    run it in a transaction that is rolled back, or on a database that is wiped). Raises
    `RuntimeError` if the file has errors or the repeat changed anything."""
    tag = f"imp{rows}"
    User = get_user_model()
    # An integration (an HR sync), the usual importer of a whole register.
    admin = User.objects.create(username=f"bench-{tag}-api", password="!")
    admin.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[Role.INTEGRATION])[0])
    BusinessUnit.objects.bulk_create(
        [
            BusinessUnit(code=f"{tag}-u{i:03d}", name=f"Bench {tag} unit {i:03d}")
            for i in range(UNITS)
        ]
    )
    data = import_file(rows, tag=tag)

    def run_fresh(file: bytes, dry_run: bool) -> Summary:
        return run_import("stakeholders", file, "people.csv", actor=admin, dry_run=dry_run)

    def run(dry_run: bool) -> Summary:
        return run_fresh(data, dry_run)

    result: dict[str, Any] = {"rows": rows, "file_mb": round(len(data) / (1024 * 1024), 1)}
    for phase, dry_run in (("dry_run", True), ("real_run", False), ("repeat", False)):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        summary = run(dry_run)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        if not summary.ok:
            raise RuntimeError(f"{phase}: the bench file has errors: {summary.errors[:3]}")
        result[phase] = {
            "seconds": round(seconds, 2),
            "ms_per_row": round(seconds * 1000 / rows, 3),
            # This process's CPU (PostgreSQL's own work not included): on a busy machine the
            # wall time stretches, this does not.
            "cpu_seconds": round(cpu, 2),
            "new": summary.new,
            "changed": summary.changed,
            "unchanged": summary.unchanged,
            "saved": summary.saved,
            "max_rss_mb": round(_max_rss_mb(), 1),
            "aim": "PASS" if seconds < AIM_SECONDS else "MISS",
        }
    if result["repeat"]["new"] or result["repeat"]["changed"]:
        raise RuntimeError("Importing the same file twice changed records.")
    if trace_memory:
        # New people again (another set of units and emails), so both passes do full work.
        fresh = import_file(rows, tag=f"{tag}b")
        BusinessUnit.objects.bulk_create(
            [
                BusinessUnit(code=f"{tag}b-u{i:03d}", name=f"Bench {tag}b unit {i:03d}")
                for i in range(UNITS)
            ]
        )
        for phase, dry_run in (("dry_run", True), ("real_run", False)):
            peak = _traced_peak_mb(partial(run_fresh, fresh, dry_run))
            result[phase]["traced_peak_mb"] = round(peak, 1)
    result["max_rss_mb"] = round(_max_rss_mb(), 1)
    result["memory_aim"] = "PASS" if result["max_rss_mb"] < AIM_MB else "MISS"
    return result
