"""The Celery app, and the two ways its tasks are published.

- `task.delay(...)` is the web's publish (and every after-commit hook's, `brm.core.outbox`): ONE
  attempt on a connection whose socket timeouts add up to ``CELERY_PUBLISH_TIMEOUT`` seconds
  (1 s by default: half to connect, all of it per command), never retried inline. When it fails,
  this process leaves the broker alone for ``CELERY_PUBLISH_PAUSE`` seconds (later calls raise
  `BrokerUnavailable` at once), so a frozen broker costs one request one timeout, not every
  request every timeout. The work is not lost: it is recorded in the database (an `OutboundEmail`
  row, a claimed job) and a beat job sweeps it up once the broker is back.
- `task.apply_async(...)` keeps Celery's behaviour for beat and for tasks that queue tasks
  (groups): retry with back-off (``CELERY_TASK_PUBLISH_RETRY_POLICY``) until the broker answers.

The worker and beat connections themselves retry forever (``CELERY_BROKER_CONNECTION_MAX_RETRIES
= None``), so a broker outage of any length only delays work. Tasks are Django's `DjangoTask`, so
`task.delay_on_commit()` is available too (it calls `delay`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_init
from kombu import Connection

from brm.checks import refuse_published_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brm.settings")

logger = logging.getLogger(__name__)


class BrokerUnavailable(ConnectionError):
    """The broker failed a publish within the last ``CELERY_PUBLISH_PAUSE`` seconds; not tried."""


class _PublishChannel:
    """One short-timeout broker connection per thread, and the process-wide pause after a failure.

    A kombu connection is not thread-safe, hence one per thread (gunicorn's sync workers have one
    thread; `runserver` and tests have several). redis-py checks a pooled socket before use and
    reconnects once if the broker restarted, so a kept connection recovers by itself.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._paused_until = 0.0  # time.monotonic() value; shared by the process's threads

    def connection(self, app: Celery) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            timeout = float(app.conf.get("publish_timeout") or 1.0)
            conn = app.connection_for_write(
                connect_timeout=timeout,
                transport_options={
                    "socket_connect_timeout": timeout / 2,
                    "socket_timeout": timeout,
                    "max_retries": 0,  # the connection attempt itself is not retried either
                    "retry_on_timeout": False,
                },
            )
            self._local.conn = conn
        return conn

    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def failed(self, app: Celery) -> None:
        self._paused_until = time.monotonic() + float(app.conf.get("publish_pause") or 0)
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # closing a broken connection may fail too; it is dropped anyway
                logger.debug("Closing the failed publish connection failed.", exc_info=True)

    def reset(self) -> None:
        """Forget the pause (tests that restart a broker, or a changed broker URL)."""
        self._paused_until = 0.0
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.release()


publish_channel = _PublishChannel()


class Task(DjangoTask[Any, Any]):
    """The project's task class: `delay` is the bounded, never-retried publish (see above)."""

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        """Publish now, once, within ``CELERY_PUBLISH_TIMEOUT`` seconds; raise when it fails.

        Raises `BrokerUnavailable` without trying while the process pauses after a failure, or
        the broker's connection error (kombu's `OperationalError`). Eager mode (tests that set
        ``task_always_eager``) runs the task here, as Celery's own `delay` does.
        """
        app = self.app
        if app.conf.task_always_eager:
            return self.apply_async(args, kwargs)
        if publish_channel.paused():
            raise BrokerUnavailable(f"Broker failed recently; {self.name} left to the sweep.")
        try:
            # Celery passes `connection` on to the producer; celery-types' apply_async omits it.
            return self.apply_async(  # type: ignore[call-arg]
                args, kwargs, connection=publish_channel.connection(app), retry=False
            )
        except Exception:
            publish_channel.failed(app)
            raise


app = Celery("brm", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_published_key(**kwargs: object) -> None:
    refuse_published_secret_key()
