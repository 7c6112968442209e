"""An embedded Celery worker (`celery.contrib.testing.worker.start_worker`, used by the worker
tests) must leave the process's logging as it found it.

Celery configures logging when a worker starts unless something answers its `setup_logging`
signal: it empties the root logger's handlers and sets its level to the worker's (ERROR for an
embedded one). For the rest of that pytest worker every warning was dropped, so a later test that
checks a warning was logged (the broker outage of `tests/stakeholders/test_services.py`) failed
or passed by the order the modules happened to run in. `tests/conftest.py` answers the signal.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from brm.celery import app as celery_app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_an_embedded_worker_leaves_the_process_logging_as_it_was(caplog):
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    with start_worker(
        celery_app,  # type: ignore[arg-type]  # Celery is invariant in its task class
        pool="solo",
        perform_ping_check=False,
        queues=[f"test-{uuid.uuid4().hex}"],  # its own: no task another test left queued
        shutdown_timeout=30,
    ):
        pass
    assert (root.level, list(root.handlers)) == before
    logging.getLogger("brm.core.outbox").warning("Could not queue; the periodic sweep will retry.")
    assert "the periodic sweep will retry" in caplog.text
