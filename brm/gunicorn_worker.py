"""Gunicorn's sync worker, plus serving what waits in the listen backlog before it exits.

On SIGTERM gunicorn's sync workers finish the request in hand and exit; connections the kernel
had already accepted into the listen backlog, but no worker had taken yet, are reset when the
last process closes the socket, so clients of a restart see "connection reset" for requests that
never reached Django. `DrainingSyncWorker` takes and serves those connections first, until the
backlog is empty (or the graceful timeout is nearly over), then exits. Once every worker has gone
the port refuses connections, which a proxy safely retries on another replica: the request was
never sent.
"""

from __future__ import annotations

import errno
import socket
import time

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

DRAIN_MARGIN = 2.0  # seconds kept back from graceful_timeout, so the master never kills mid-drain


class DrainingSyncWorker(SyncWorker):
    """A sync worker that serves its listeners' backlog before exiting (see the module)."""

    def run(self) -> None:
        super().run()
        self.drain()

    def drain(self) -> int:
        """Serve every connection already waiting on the listeners; returns how many."""
        deadline = time.monotonic() + max(self.cfg.graceful_timeout - DRAIN_MARGIN, 0.5)
        served = 0
        for listener in self.sockets:
            while time.monotonic() < deadline:
                self.notify()  # still alive: the master must not take us for hung
                try:
                    client, addr = listener.accept()
                except (BlockingIOError, InterruptedError):
                    break  # the backlog is empty
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                        break
                    raise
                client.setblocking(True)
                util.close_on_exec(client)
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.handle(listener, client, addr)
                served += 1
        if served:
            self.log.info("Served %s queued connection(s) before exiting.", served)
        return served
