"""Links in emails use the site's address: `make run` (scripts/run-dev) sets SITE_URL to the
port it serves, and no email template or composer hard-codes a host."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_dev_sets_site_url_to_the_port_it_serves():
    script = (ROOT / "scripts" / "run-dev").read_text()
    head = script.split("run()", 1)[0]  # the settings part, before anything runs
    out = subprocess.run(
        ["bash", "-c", head + '\necho "$SITE_URL"'],
        env={"PORT": "8123", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "scripts",
    )
    assert out.stdout.strip() == "http://localhost:8123"


def test_no_email_template_hard_codes_a_host():
    offenders = []
    for path in (ROOT / "templates").rglob("email/*"):
        text = path.read_text()
        if re.search(r"https?://|localhost", text):
            offenders.append(path.name)
    attestation = (ROOT / "templates" / "portfolio" / "demand_email_attestation.txt").read_text()
    assert not re.search(r"https?://|localhost", attestation)
    assert offenders == []
