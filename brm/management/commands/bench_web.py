"""`manage.py bench_web`: every page in the navigation and every API list, per role, against
bare floors timed in the same run, on the demo data and again with `--size` generated units
(brm.bench_web; issue 14). `make bench` runs it after `bench_health`; `make bench-web` alone.

A page is held to the page floor (a 50-row table signed in as the same role, in a minimal base
layout: what a bare stack serving private data pays at least) and also reported against the
anonymous bare table, the floor before issue 14's second pass (`x bare`). An API list is held
to the authenticated DRF floor (the bare DRF list behind the project's API authentication,
requested with the list's own session or token) and reported against the anonymous bare DRF
list (`x bare`).

The demo data is seeded, every page and list measured per role with the floors, then `--size`
generated units are added at the issue's bench volumes (`BENCH_SIZE_VOLUMES`: per unit 8
stakeholders, 50 meetings over two years, 10 complaints, 24 months of metrics; at 2,000 units
100,000 meetings and 20,000 complaints). A tenth of them are given to the demo BRM and the rows
of ten more moved into the leader's unit, so what the demo users see grows; then everything is
measured again. It prints a table, writes var/bench/web.json, and fails when a query count
differs between the two sizes or a page answers anything but 200 or 403.

Like `bench_health` it empties its database first, so it refuses a database whose name lacks
"bench"; `--no-wipe` runs everything inside a transaction that is rolled back instead.
"""

from __future__ import annotations

import json
from os import devnull
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone

from brm import bench_web
from brm.bench import BENCH_SIZE_VOLUMES, check_database, generate, wipe_data
from brm.core.roles import leader_unit_id
from brm.health.engine import recompute_health
from complaints.models import Complaint
from reviews.models import ServiceReview
from stakeholders.models import ActionItem, BusinessUnit, Interaction, Stakeholder


class Command(BaseCommand):
    help = "Benchmark every page and API list per role against bare floors, at two data sizes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size", type=int, default=2000, help="Generated units for the larger run."
        )
        parser.add_argument("--runs", type=int, default=7, help="Requests per page and role.")
        parser.add_argument("--out", default=str(settings.BASE_DIR / "var/bench/web.json"))
        parser.add_argument("--seed", type=int, default=20240501)
        parser.add_argument(
            "--no-wipe",
            action="store_true",
            help="Roll everything back instead of emptying the database (tests, shared DBs).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["size"] < 1 or options["runs"] < 1:
            raise CommandError("--size and --runs take positive numbers")
        wipe = not options["no_wipe"]
        check_database(wipe)
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        failures = self._web(options, wipe, hosts)
        if failures:
            raise CommandError("; ".join(failures))

    def _web(self, options: dict[str, Any], wipe: bool, hosts: list[str]) -> list[str]:
        """Demo data, then the demo plus `--web-size` generated units: every page and API list
        per role with the floors, a table, var/bench/web.json, and the pages whose query count
        grew."""
        runs, size = options["runs"], options["size"]
        settings_ = {
            "DEBUG": False,
            "ALLOWED_HOSTS": hosts,
            "ROOT_URLCONF": "brm.bench_urls",
            # The bench signs in with force_login, which sets up no second factor; the pages are
            # timed, not the sign-in policy (an admin would otherwise be sent to MFA setup).
            "BRM_MFA_REQUIRED_ROLES": [],
        }
        with override_settings(**settings_), transaction.atomic():
            if wipe:
                wipe_data()
            self.stdout.write("web: seeding the demo data...")
            call_command("seed_demo", stdout=open(devnull, "w"))  # noqa: SIM115
            self._analyze()
            small = bench_web.measure_size("demo", self._rows(), runs, self._progress)
            self.stdout.write(f"web: generating {size} more units...")
            now = timezone.now()
            generate(size, now=now, seed=options["seed"], tag="web", volumes=BENCH_SIZE_VOLUMES)
            self._grow_demo_scopes()
            recompute_health(now)
            self._analyze()
            large = bench_web.measure_size(f"+{size} units", self._rows(), runs, self._progress)
            if not wipe:
                transaction.set_rollback(True)
        self.stdout.write("\r" + " " * 70 + "\r", ending="")
        grown = bench_web.grown(small, large)
        report = {
            "generated_at": timezone.now().isoformat(),
            "runs": runs,
            "floors": bench_web.FLOORS,
            "sizes": [small.as_dict(), large.as_dict()],
            "query_counts_grown": grown,
        }
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        for line in bench_web.table([small, large]):
            self.stdout.write(line)
        self.stdout.write(
            "ms: median server time; cpu: median process CPU; q: most queries; x floor: CPU over "
            "the page floor's (pages: a 50-row table signed in as the same role, in a minimal "
            "layout) or the authenticated DRF list's (API lists: the same client's session or "
            "token); x bare: CPU over the anonymous bare table's (pages) or bare DRF list's "
            "(API lists). Floors alternate with each page's requests."
        )
        self.stdout.write(f"Written to {out}")
        bad = [t for r in (small, large) for t in r.timings if t.status not in bench_web.ANSWERS]
        failures = [f"{t.name} as {t.role} answered {t.status}" for t in bad]
        if grown:
            names = ", ".join(f"{g['name']} as {g['role']}" for g in grown)
            failures.append(f"Query counts grow with the data: {names}")
        return failures

    def _progress(self, what: str) -> None:
        self.stdout.write(f"\r{what[:70]:<70}", ending="")
        self.stdout.flush()

    @staticmethod
    def _analyze() -> None:
        # Fresh rows have no planner statistics yet; a live system would have them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    @staticmethod
    def _rows() -> dict[str, int]:
        models: dict[str, type[Model]] = {
            "units": BusinessUnit,
            "stakeholders": Stakeholder,
            "interactions": Interaction,
            "commitments": ActionItem,
            "complaints": Complaint,
            "reviews": ServiceReview,
        }
        return {name: model._default_manager.count() for name, model in models.items()}

    @staticmethod
    def _grow_demo_scopes() -> None:
        """Make what the demo users see grow with the generated data: a tenth of the new units
        go to the demo BRM, and the rows of ten more move into the leader's unit."""
        users = get_user_model().objects.filter(username__in=["brm", "leader"])
        by_name = {u.username: u for u in users}
        new = list(
            BusinessUnit.objects.filter(code__startswith="bweb-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        mine, moved = new[: max(1, len(new) // 10)], new[-10:]
        BusinessUnit.objects.filter(pk__in=mine).update(brm=by_name["brm"])
        unit = leader_unit_id(by_name["leader"])
        Stakeholder.objects.filter(unit_id__in=moved).update(unit_id=unit)
        Interaction.objects.filter(unit_id__in=moved).update(unit_id=unit)
        ActionItem.objects.filter(unit_id__in=moved).update(unit_id=unit)
        Complaint.objects.filter(unit_id__in=moved).update(unit_id=unit)
        ServiceReview.objects.filter(unit_id__in=moved).update(unit_id=unit)
