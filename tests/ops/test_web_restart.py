"""A web restart loses no request: in-flight and queued requests finish after SIGTERM.

gunicorn runs with the project's config (brm/gunicorn.conf.py: the draining sync worker, its
graceful timeout) and ONE worker in front of an app whose requests take 0.3 s, so most of the
requests sent at once wait in the listen backlog when the master gets SIGTERM. Every one of them
must be answered 200; after the last, the port refuses connections (a proxy retries those).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT, free_port, wait_for

pytestmark = pytest.mark.celery_worker  # a real server process, like the worker tests

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _get(port: int) -> int | str:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/")
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError as exc:
        return type(exc).__name__


def _answers(port: int) -> bool:
    return _get(port) == 200


def _gunicorn(port: int, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [GUNICORN, "-c", "brm/gunicorn.conf.py", *args, "tests.ops.slow_app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigterm_lets_in_flight_and_queued_requests_finish():
    port = free_port(8700, 8800)
    server = _gunicorn(port)
    try:
        assert wait_for(lambda: _answers(port), 20)
        with ThreadPoolExecutor(max_workers=10) as pool:
            futures = [pool.submit(_get, port) for _ in range(10)]
            time.sleep(0.5)  # one request in the worker, the others in the backlog
            stopped_at = time.monotonic()
            server.send_signal(signal.SIGTERM)
            results = [f.result() for f in futures]
        server.wait(40)
        took = time.monotonic() - stopped_at
    finally:
        if server.poll() is None:
            server.kill()
    log = server.stderr.read().decode() if server.stderr else ""
    assert results == [200] * 10, f"{results}\n{log}"
    assert "queued connection" in log
    assert took < 10
    assert _get(port) == "ConnectionRefusedError"
