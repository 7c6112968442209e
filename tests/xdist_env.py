"""Give each pytest-xdist worker a Redis database of its own (loaded with `-p tests.xdist_env`).

`make test` runs the suite on both cores (`pytest -n 2`). pytest-django already gives each worker
its own test database (`test_brm_gw0`, `test_brm_gw1`); Redis has no such step, and the tests that
run a real Celery worker or read a queue's length would see the other worker's messages. So
before Django reads its settings, worker N moves `REDIS_URL` from database D to database
D - 1 - N (15 -> 14 and 13), a number no other default uses.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest


def worker_number() -> int | None:
    """0, 1, ... for pytest-xdist workers (`PYTEST_XDIST_WORKER=gw0`); None when not under xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else None


def worker_redis_url(url: str, number: int) -> str:
    """`url` with its database number moved down by `number + 1` (stays at 0 or above).

    >>> worker_redis_url("redis://127.0.0.1:6379/15", 0)
    'redis://127.0.0.1:6379/14'
    """
    parts = urlsplit(url)
    path = parts.path.strip("/")
    db = int(path) if path.isdigit() else 0
    moved = (db - 1 - number) % 16
    return urlunsplit(parts._replace(path=f"/{moved}"))


# tryfirst: after pytest-env has set the defaults (it is tryfirst too, and registered later, so it
# runs first) and before pytest-django configures Django from the environment.
@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    number = worker_number()
    url = os.environ.get("REDIS_URL", "")
    if number is not None and url.startswith("redis"):
        os.environ["REDIS_URL"] = worker_redis_url(url, number)
