"""EMAIL_BACKEND may name any Django mail backend, and it gets its own options (Django 6.1 MAILERS).

Settings are read fresh in a subprocess with the environment a deployment would give, and one
message is sent through `django.core.mail`, as the delivery path does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT

SEND = """
import django
django.setup()
from django.core.mail import EmailMessage
print("sent", EmailMessage("Probe subject", "Body.", "brm@example.org", ["x@example.org"]).send())
"""


def _send(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "brm.settings", **env}
    for name in ("EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_OPTIONS", "EMAIL_FILE_PATH"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", SEND],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("backend", ["file", "django.core.mail.backends.filebased.EmailBackend"])
def test_the_file_backend_writes_each_message_to_email_file_path(tmp_path: Path, backend):
    result = _send(EMAIL_BACKEND=backend, EMAIL_FILE_PATH=str(tmp_path / "mail"))
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and "Probe subject" in files[0].read_text()


def test_the_console_backend_prints_and_is_the_default_without_a_host():
    result = _send()
    assert result.returncode == 0, result.stderr
    assert "Subject: Probe subject" in result.stdout


def test_the_locmem_backend_keeps_the_message_in_memory():
    result = _send(EMAIL_BACKEND="locmem")
    assert result.returncode == 0, result.stderr
    assert "sent 1" in result.stdout and "Subject" not in result.stdout


def test_smtp_is_the_default_with_a_host_and_gets_its_options(smtp_sink):
    result = _send(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_sink.port), EMAIL_TIMEOUT="5")
    assert result.returncode == 0, result.stderr
    assert len(smtp_sink.accepted) == 1 and b"Probe subject" in smtp_sink.accepted[0]


def test_malformed_extra_options_are_refused_at_start_up():
    result = _send(EMAIL_BACKEND="locmem", EMAIL_OPTIONS="[1, 2]")
    assert result.returncode != 0
    assert "EMAIL_OPTIONS must be a JSON object" in result.stderr
