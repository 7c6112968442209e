"""The health recompute split into chunks of units stores exactly what one run over all units does.

In process: the chunks one after another against the whole run, on the bench generator's data
(every app's rows, red units included), snapshots and proposed plans alike. Through the broker:
the nightly task with a chunk size that makes a Celery group, consumed by TWO real workers, gives
the same snapshots as one run in this process at the same instant.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import transaction

from brm.bench import generate
from brm.health.engine import recompute_health
from brm.health.models import HealthSnapshot, ImprovementPlan
from brm.health.tasks import recompute_health_task, unit_chunks
from tests.ops.conftest import wait_for

pytestmark = pytest.mark.slow

NOW = datetime(2026, 3, 4, 2, 15, tzinfo=UTC)
FIELDS = ("unit_id", "as_of", "score", "band", "trend", "perception_change", "watermelon")


def _snapshots() -> list[tuple[Any, ...]]:
    rows = HealthSnapshot.objects.order_by("unit_id").values_list(*FIELDS, "components")
    return list(rows)


def _plans() -> list[tuple[Any, ...]]:
    return sorted(ImprovementPlan.objects.values_list("unit_id", "reason", "score_at_start"))


def _run(chunk: int | None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Recompute (whole, or chunk by chunk), read what was stored, and roll it all back."""
    with transaction.atomic():
        if chunk is None:
            recompute_health(NOW)
        else:
            for unit_ids in unit_chunks(chunk):
                recompute_health(NOW, unit_ids=unit_ids)
        stored = _snapshots(), _plans()
        transaction.set_rollback(True)
    return stored


@pytest.mark.django_db
def test_chunks_store_what_one_run_stores():
    with time_machine.travel(NOW, tick=False):
        generate(40, now=NOW, seed=7)
        whole = _run(None)
        assert len(whole[0]) == 40 and whole[1], "the data has red units that get a plan"
        for chunk in (1, 7, 40):
            assert _run(chunk) == whole, f"chunks of {chunk} differ from one run"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_compute_the_chunks_of_one_recompute(own_redis, celery_processes):
    generate(24, now=NOW, seed=11)
    whole, _ = _run(None)  # one run in this process, rolled back
    env = {"HEALTH_RECOMPUTE_CHUNK": "5"}  # 5 chunks for two workers
    workers = [
        celery_processes("worker", own_redis.url, "-n", f"w{n}@%h", "-c", "1", **env)
        for n in (1, 2)
    ]
    started = time.monotonic()
    recompute_health_task.apply_async(kwargs={"as_of": NOW.isoformat()})
    assert wait_for(lambda: HealthSnapshot.objects.count() == 24, 90), "".join(
        w.output() for w in workers
    )
    took = time.monotonic() - started
    assert _snapshots() == whole
    chunks_run = sum(
        1
        for w in workers
        for line in w.output().splitlines()
        if "recompute_health_chunk[" in line and "succeeded" in line
    )
    assert chunks_run >= 5, "the recompute ran as a group of 5 chunks"
    assert took < 90
