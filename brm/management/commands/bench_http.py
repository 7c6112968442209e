"""`manage.py bench_http`: issue 14's throughput comparison over HTTP. A gunicorn with 3 sync
workers (`brm/gunicorn.conf.py`, DEBUG off, `brm.settings_bench`: the project's URLs plus the bare
floors) serves the demo data on a free loopback port; every API list (as the BRM and as the
integration) and the register's and workflows' pages, the unit page and the dashboard (per role)
are loaded for short slices alternating with their floors, and compared with them (brm.bench_http).
`make bench` runs it after `bench_web`; `make bench-http` alone.

It prints a table (requests/s, server CPU ms per request, the throughput ratios to the bare floor
and to the signed-in one) and the URLs under the issue's aims, writes var/bench/http.json, and
fails when a URL answers anything but 200 (or a 403 seen at warm-up: a list the role may not see).

Like `bench_web` it empties its database first and seeds the demo data, so it refuses a database
whose name lacks "bench"; `--no-wipe` measures the data already there (it needs the demo users,
and leaves them a session and the integration a token).
"""

from __future__ import annotations

import json
import os
import time
from os import devnull
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from brm import bench_http, bench_web
from brm.bench import check_database, wipe_data
from brm.core.models import ApiToken
from brm.core.roles import leader_unit_id

USERS = ("brm", "leader", "cio", "integration")


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest), for the
    server's environment."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}@{db['HOST']}{port}/{db['NAME']}"


class Command(BaseCommand):
    help = "Throughput of pages and API lists against bare floors over HTTP (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seconds",
            type=float,
            default=0.5,
            help="Length of each slice of load (1 with --rounds 4: steadier, twice as long).",
        )
        parser.add_argument("--rounds", type=int, default=3, help="Slices per URL.")
        parser.add_argument("--clients", type=int, default=8, help="Client threads.")
        parser.add_argument("--workers", type=int, default=3, help="Gunicorn sync workers.")
        parser.add_argument(
            "--floor-every", type=int, default=4, help="URLs between two slices of the floors."
        )
        parser.add_argument(
            "--warmup", type=float, default=0.3, help="Seconds of untimed load per URL first."
        )
        parser.add_argument(
            "--only", default="", help="Only the groups or URLs whose name contains this."
        )
        parser.add_argument("--out", default=str(settings.BASE_DIR / "var/bench/http.json"))
        parser.add_argument(
            "--no-wipe",
            action="store_true",
            help="Measure the data already there (with the demo users) instead of a fresh demo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seconds"] <= 0 or min(options["rounds"], options["clients"]) < 1:
            raise CommandError("--seconds, --rounds and --clients take positive numbers")
        if settings.SECRET_KEY_IS_PUBLISHED:
            raise CommandError("Set SECRET_KEY: the server refuses the published development key.")
        wipe = not options["no_wipe"]
        check_database(wipe)
        if wipe:
            self.stdout.write("http: seeding the demo data...")
            wipe_data()
            call_command("seed_demo", stdout=open(devnull, "w"))  # noqa: SIM115
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh rows have no planner statistics yet
        rows, context = self._measure(options)
        self.stdout.write("\r" + " " * 70 + "\r", ending="")
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(bench_http.report(rows, **context), indent=2) + "\n")
        self.stdout.write(
            f"{options['workers']} gunicorn sync workers, {options['clients']} client threads, "
            f"{options['rounds']} rounds of {options['seconds']} s per URL; load average "
            f"{context['load_before'][0]:.2f} before, {context['load_after'][0]:.2f} after; "
            f"{context['minutes']} minutes."
        )
        for line in bench_http.table(rows):
            self.stdout.write(line)
        self.stdout.write(
            "req/s: requests per second; cpu ms: gunicorn's CPU per request (master and "
            "workers); db ms: the PostgreSQL backends' CPU per request; x bare: throughput over "
            "the anonymous bare floor's (pages: the bare table; API lists: the bare DRF list), "
            "by requests/s and (cpu) by CPU per request (gunicorn's and the database's); "
            "x floor: the same over the signed-in floor's, requested as the same role (pages: "
            "the page floor; API lists: the DRF list behind the API authentication); rounds: the "
            "lowest and highest x floor (cpu) of the rounds. 1.00 is as fast as the floor."
        )
        for line in bench_http.shortfalls(rows):
            self.stdout.write(line)
        self.stdout.write(f"Written to {out}")
        bad = [r for r in rows if not r.ok]
        if bad:
            raise CommandError("; ".join(f"{r.name} as {r.role} answered {r.status}" for r in bad))

    def _measure(self, options: dict[str, Any]) -> tuple[list[bench_http.Row], dict[str, Any]]:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
        missing = set(USERS) - set(users)
        if missing:
            raise CommandError(f"No demo users {sorted(missing)}: run without --no-wipe.")
        cookies = bench_http.sign_in([users[name] for name in USERS if name != "integration"])
        token, raw = ApiToken.issue(users["integration"], "bench-http")
        credentials = bench_http.Credentials(
            {
                **{name: {"cookie": cookie} for name, cookie in cookies.items()},
                "integration": {"authorization": f"Bearer {raw}"},
                bench_http.ANONYMOUS: {},
            }
        )
        unit = leader_unit_id(users["leader"])
        if unit is None:
            raise CommandError("The demo leader has no unit: run without --no-wipe.")
        plan = bench_http.groups(unit, bench_web.api_lists())
        only = options["only"]
        if only:
            plan = [
                g
                if only in g.label
                else bench_http.Group(
                    g.label, g.role, g.bare, g.floor, tuple(t for t in g.targets if only in t.name)
                )
                for g in plan
            ]
            plan = [g for g in plan if g.targets]
        log = Path(options["out"]).with_suffix(".gunicorn.log")
        env = bench_http.server_environment(database_url())
        load_before, started = os.getloadavg(), time.monotonic()
        try:
            with bench_http.gunicorn(env, options["workers"], log) as server:
                load = bench_http.Load(server, options["clients"])
                try:
                    rows = bench_http.measure(
                        load,
                        plan,
                        credentials,
                        seconds=options["seconds"],
                        rounds=options["rounds"],
                        floor_every=options["floor_every"],
                        warmup=options["warmup"],
                        progress=self._progress,
                    )
                finally:
                    load.close()
        except RuntimeError as exc:
            raise CommandError(f"{exc} (see {log})") from exc
        finally:
            token.delete()
        context = {
            "generated_at": timezone.now().isoformat(),
            "workers": options["workers"],
            "clients": options["clients"],
            "seconds": options["seconds"],
            "rounds": options["rounds"],
            "floor_every": options["floor_every"],
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "minutes": round((time.monotonic() - started) / 60, 1),
            "cores": os.cpu_count(),
        }
        return rows, context

    def _progress(self, what: str) -> None:
        self.stdout.write(f"\r{what[:70]:<70}", ending="")
        self.stdout.flush()
