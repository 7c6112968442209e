"""Fault tests' tools: a Redis of the test's own, real Celery processes, an SMTP sink.

Every fault test runs its own `redis-server` on a free loopback port (6390 and up) with an
append-only file, so it can stop, freeze (SIGSTOP), thaw (SIGCONT) and restart the broker without
touching the shared Redis. Worker and beat run as real subprocesses (`celery -A brm ...`) on the
test database (the tests are `transaction=True`, so what a test writes is committed and visible
to them), and they send mail through the SMTP backend to `SmtpSink`, a server in a test thread
that records what it accepted and can hold its final reply to let a test kill a worker mid-send.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.db import connection

from brm.celery import app as celery_app
from brm.celery import publish_channel
from tests.xdist_env import worker_number

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(condition: Callable[[], object], seconds: float = 30, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def free_port(start: int = 6390, stop: int = 6600) -> int:
    """The first loopback port in [start, stop) nobody listens on. Under pytest-xdist each worker
    searches its own slice of the range, so two workers never pick the same port at once."""
    number = worker_number()
    if number is not None:
        width = (stop - start) // 4
        start, stop = start + number * width, start + (number + 1) * width
    for port in range(start, stop):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port for a test Redis")


class OwnRedis:
    """A redis-server only this test uses: `stop()`, `start()` (same port and data), `freeze()`,
    `thaw()`, `block(seconds)` (the server busy, answering nothing, like a slow disk)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, socket_connect_timeout=2)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",  # as in docker-compose.yml: queued tasks survive a restart
                "--dir", str(self.workdir),
                "--enable-debug-command", "local",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self._answers, 10), "the test Redis did not start"

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            if self.frozen:
                self.thaw()
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen = False

    def block(self, seconds: float) -> threading.Thread:
        """The server runs one command for `seconds` (DEBUG SLEEP): up, connected, but silent."""
        thread = threading.Thread(
            target=lambda: redis.Redis(port=self.port, socket_timeout=seconds + 10).execute_command(
                "DEBUG", "SLEEP", seconds
            )
        )
        thread.start()
        time.sleep(0.2)  # let it start sleeping
        return thread


def _point_app_at(url: str) -> None:
    celery_app.conf.broker_url = url  # type: ignore[misc]  # celery-types: read-only, it is not
    # Drop every cached connection to the previous broker (the app's pools, the web publish's).
    celery_app._pool = None  # type: ignore[attr-defined]  # Celery's private pool cache
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]  # private, as above
    publish_channel.reset()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A started Redis of this test's own; the in-process Celery app publishes to it."""
    if shutil.which("redis-server") is None:
        pytest.fail("The fault tests start a Redis of their own: install redis-server.")
    server = OwnRedis(tmp_path)
    server.start()
    previous = celery_app.conf.broker_url
    _point_app_at(server.url)
    try:
        yield server
    finally:
        server.stop()
        _point_app_at(previous)


def database_url() -> str:
    """The test database (pytest-django's `test_...`), as a URL for the subprocesses."""
    base = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(base._replace(path="/" + connection.settings_dict["NAME"]))


@dataclass
class CeleryProcess:
    """A `celery -A brm worker|beat` subprocess in its own process group, logging to a file."""

    kind: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool, no goodbye."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_processes(tmp_path: Path) -> Iterator[Callable[..., CeleryProcess]]:
    """`start(kind, broker_url, *args, **env)` -> a running worker or beat; all stopped after."""
    started: list[CeleryProcess] = []

    def start(kind: str, broker_url: str, *args: str, **env: str) -> CeleryProcess:
        log = tmp_path / f"{kind}-{len(started)}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "DJANGO_SETTINGS_MODULE": "brm.settings",
            "PYTHONPATH": str(ROOT),
            "CONN_MAX_AGE": "0",
            **env,
        }
        extra = list(args)
        if kind == "beat":
            extra += ["--schedule", str(tmp_path / f"beat-schedule-{len(started)}")]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [CELERY, "-A", "brm", kind, "--loglevel", "INFO", *extra],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = CeleryProcess(kind, proc, log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


# --- An SMTP server that records what it accepted -----------------------------------------------


@dataclass
class SmtpSink:
    """Accepted messages (raw bytes) and the Message-IDs seen; `hold` delays the reply to the end
    of DATA by that many seconds (a slow mail server), during which a test can kill the sender.
    A message whose sender hung up before the reply is not accepted, as with a real server."""

    port: int = 0
    accepted: list[bytes] = field(default_factory=list)
    hold: float = 0.0
    receiving: threading.Event = field(default_factory=threading.Event)
    dropped: int = 0

    def message_ids(self) -> list[str]:
        ids = []
        for raw in self.accepted:
            found = re.search(rb"^Message-ID:\s*(\S+)", raw, re.MULTILINE | re.IGNORECASE)
            ids.append(found.group(1).decode() if found else "")
        return ids


class _SmtpHandler(socketserver.StreamRequestHandler):
    sink: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 sink ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb in {b"EHLO", b"HELO"}:
                self.reply("250 sink")
            elif verb in {b"MAIL", b"RCPT", b"RSET", b"NOOP"}:
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 go on")
                body = b""
                while True:
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    if chunk == b".\r\n":
                        break
                    body += chunk
                self.sink.receiving.set()
                if self.sink.hold and not self._client_stays(self.sink.hold):
                    self.sink.dropped += 1
                    return
                self.sink.accepted.append(body)
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")

    def _client_stays(self, seconds: float) -> bool:
        """Wait `seconds`; False if the client hung up meanwhile (its end of the socket closed)."""
        self.connection.settimeout(seconds)
        try:
            peek = self.connection.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            return True
        except OSError:
            return False
        finally:
            self.connection.settimeout(None)
        return bool(peek != b"")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    handler = type("Handler", (_SmtpHandler,), {"sink": sink})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
