"""`manage.py readiness`: the /readyz checks from a shell or a container health check.

Prints the JSON report and exits 0 when every dependency is ready, 1 otherwise (docker-compose's
beat health check uses it: a stale worker heartbeat means the scheduled work is not running).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from brm.readiness import readiness


class Command(BaseCommand):
    help = "Check the database, the broker and the worker heartbeat; exit 1 if any is not ready."

    def handle(self, *args: Any, **options: Any) -> None:
        ok, report = readiness()
        self.stdout.write(json.dumps(report, indent=2))
        if not ok:
            raise CommandError(
                "not ready: "
                + ", ".join(name for name, check in report["checks"].items() if not check["ok"])
            )
