"""A real HTTP receiver on 127.0.0.1 for webhook tests, and subscription helpers.

`receiver` is an `http.server` in a thread of the test process. It answers each request with the
next scripted answer (`receiver.answer(status, headers, body)`; 200 when none is left) and keeps
every request it got: path, headers and raw body. Signatures are verified with the independent
`standardwebhooks` package (the reference implementation of the specification), never with the
app's own signing code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from brm.core.roles import Role
from brm.webhooks import services
from tests.factories import UserFactory


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    host: str
    port: int
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def answer(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.script.append((status, headers or {}, body))


def _handler(state: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers, answer = (
                    state.script.pop(0) if state.script else (200, {}, b"thanks")
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("127.0.0.1", 0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def allow_local(settings):
    """The test setting that lets deliveries reach the receiver on 127.0.0.1."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


@pytest.fixture
def webhook_admin(db):
    return UserFactory.create(username="hookadmin", role=Role.ADMIN, email="ops@example.com")


@pytest.fixture
def subscribe(webhook_admin):
    """`subscribe(url, [event types], units=[...])` -> (subscription, secret)."""

    def _make(url, event_types, units=()):
        return services.create_subscription(
            actor=webhook_admin, url=url, event_types=event_types, units=units
        )

    return _make
