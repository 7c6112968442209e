"""Background jobs of the cross-app parts: health recompute and the weekly leadership digest."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from brm.core.delivery import Outcome
from brm.health import digest
from brm.health.engine import RunComponents, recompute_health, run_components
from brm.health.models import HealthSettings
from stakeholders import selectors as register_selectors

logger = logging.getLogger(__name__)

# Chunks of one run share their components within a worker process: computed by the first chunk
# the process gets, reused by the others (one entry: the latest run, keyed by its run id).
_run_cache: dict[str, RunComponents] = {}


def unit_chunks(size: int | None = None) -> list[list[int]]:
    """The active units' ids in chunks of `size` (``HEALTH_RECOMPUTE_CHUNK``), in id order."""
    size = size or settings.HEALTH_RECOMPUTE_CHUNK
    ids = list(register_selectors.active_units().order_by("pk").values_list("pk", flat=True))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_health_task(as_of: str | None = None) -> int:
    """Recompute every unit's health as of `as_of` (ISO 8601; default now). Returns the units.

    Up to ``HEALTH_RECOMPUTE_CHUNK`` units: stored here, in one transaction. More: split into
    chunks of that many units queued as ONE Celery group, so every worker computes chunks in
    parallel; each chunk is one transaction (never half-written) and is run again if its worker
    dies (late acknowledgement, reject on worker lost); all chunks use the same instant, so the
    result is what one run over all units stores. Idempotent: one snapshot per unit and day.
    """
    now = datetime.fromisoformat(as_of) if as_of else timezone.now()
    chunks = unit_chunks()
    if len(chunks) <= 1:
        stored = recompute_health(now)
        logger.info("Health recomputed for %d units.", len(stored))
        return len(stored)
    run = uuid.uuid4().hex  # a new id per run: no chunk ever reuses another run's components
    group(recompute_health_chunk.s(chunk, now.isoformat(), run) for chunk in chunks).apply_async()
    units = sum(len(chunk) for chunk in chunks)
    logger.info("Health recompute of %d units queued in %d chunks.", units, len(chunks))
    return units


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_health_chunk(unit_ids: list[int], as_of: str, run: str) -> int:
    """Store one chunk of the recompute `run` as of `as_of` (ISO 8601); returns the snapshots."""
    now = datetime.fromisoformat(as_of)
    components = _run_cache.get(run)
    if components is None:
        _run_cache.clear()  # only the latest run is kept
        components = _run_cache[run] = run_components(now, HealthSettings.get())
    return len(recompute_health(now, unit_ids=unit_ids, components=components))


@shared_task
def send_weekly_digest() -> bool:
    """Send leadership the week's changes, once per week (the week's `DigestLog` row and its one
    outbox email; see `brm.health.digest.send_weekly_digest`). True if this run sent it."""
    outcome = digest.send_weekly_digest()
    logger.info("Weekly digest: %s.", outcome)
    return outcome == Outcome.SENT
