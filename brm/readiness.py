"""Readiness of the whole application: database, broker, and a worker that runs tasks.

`/readyz` (brm.views.readyz) and `manage.py readiness` (the beat container's health check) report
the same checks. Each check is bounded in time (about a second), so a frozen dependency makes
the probe answer "unavailable" instead of hanging it.

- database: ``SELECT 1`` on the default connection;
- broker: one PING over a fresh connection with a 1 s socket timeout;
- worker: the newest heartbeat (`brm.tasks.heartbeat`, queued by beat every 30 s and run by any
  worker) is younger than ``WORKER_HEARTBEAT_MAX_AGE`` seconds. A stale heartbeat means beat, the
  workers or the broker between them stopped: no email goes out.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from brm.celery import app

HEARTBEAT_KEY = "brm:worker-heartbeat"
HEARTBEAT_CACHE = "shared"
BROKER_TIMEOUT = 1.0


@dataclass
class Check:
    """One dependency's state: `ok`, and `detail` (an error text, or an age in seconds)."""

    ok: bool
    detail: str = ""
    seconds: float | None = None


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True)


def check_broker() -> Check:
    try:
        with app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT,
            transport_options={
                "socket_connect_timeout": BROKER_TIMEOUT / 2,
                "socket_timeout": BROKER_TIMEOUT,
                "max_retries": 0,
            },
        ) as conn:
            # kombu takes seconds as a float here; its annotation says int.
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)  # type: ignore[arg-type]
            conn.default_channel  # noqa: B018 (opening the channel sends the PING)
    except Exception as exc:
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True)


def record_heartbeat(now: float | None = None) -> None:
    """Called by the heartbeat task on a worker: the wall-clock time it ran (epoch seconds)."""
    caches[HEARTBEAT_CACHE].set(HEARTBEAT_KEY, time.time() if now is None else now, timeout=None)


def check_worker(now: float | None = None) -> Check:
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE
    try:
        beat = caches[HEARTBEAT_CACHE].get(HEARTBEAT_KEY)
    except Exception as exc:
        return Check(False, f"heartbeat unreadable: {type(exc).__name__}: {exc}"[:300])
    if beat is None:
        return Check(False, "no worker heartbeat yet")
    age = round((time.time() if now is None else now) - float(beat), 1)
    if age > max_age:
        return Check(False, f"last worker heartbeat {age:.0f} s ago (limit {max_age} s)", age)
    return Check(True, "", age)


def readiness() -> tuple[bool, dict[str, Any]]:
    """(all ok, JSON-able report ``{"status": "ok"|"unavailable", "checks": {name: Check}}``)."""
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "worker": check_worker(),
    }
    ok = all(c.ok for c in checks.values())
    return ok, {
        "status": "ok" if ok else "unavailable",
        "checks": {name: asdict(c) for name, c in checks.items()},
    }
