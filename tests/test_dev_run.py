"""`make run` and the console log, as issue 15 found them: a URL the browser can open, Ctrl-C
without "make: *** Error 130", one line per 403, emails not logged as warnings."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
RUN_DEV = (ROOT / "scripts" / "run-dev").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_the_dev_server_listens_on_a_host_the_browser_may_use():
    assert "0.0.0.0:$PORT" not in RUN_DEV
    assert re.search(r'runserver "\$\{RUN_HOST:-localhost\}:\$PORT"', RUN_DEV)


def test_ctrl_c_ends_make_run_cleanly():
    assert re.search(r"trap 'stop_all; exit 0' INT", RUN_DEV)
    assert "exit 130" not in RUN_DEV


def test_the_venv_uses_uv_when_present_and_pip_otherwise():
    assert "command -v uv" in MAKEFILE
    assert "uv pip install" in MAKEFILE
    assert "-m pip install" in MAKEFILE


def test_worker_stdout_such_as_printed_emails_is_info_not_warning():
    assert settings.CELERY_WORKER_REDIRECT_STDOUTS_LEVEL == "INFO"


@pytest.fixture
def django_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("django")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_403_is_one_log_line_without_a_traceback(client, leader, django_log):
    client.force_login(leader)
    assert client.get("/stakeholders/").status_code == 403
    output = django_log.getvalue()
    assert "Forbidden" in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_a_server_error_keeps_its_traceback(django_log):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=True, extra={"status_code": 500}
        )
    assert "Traceback" in django_log.getvalue()
