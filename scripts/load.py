"""Mixed load against a running server (issue 14): N clients for a fixed duration and at most a
request budget, 70 % reads across roles and 30 % writes; prints throughput, latency and errors.

    DATABASE_URL=... .venv/bin/python scripts/load.py --base http://127.0.0.1:8000 \
        --clients 64 --seconds 30 --budget 20000

It signs the demo users in by creating their sessions directly in the database the server uses
(so the sign-in pages, lockout and two-factor prompts are not part of the measurement) and gives
the BRM an API token for the writes: meetings logged through POST /api/v1/interactions/ on the
BRM's own units. Run it against demo data (`manage.py seed_demo`) on a server with DEBUG off,
e.g. `gunicorn brm.wsgi -c brm/gunicorn.conf.py`. The rows it writes stay: use a scratch
database. Exit status 1 when any request failed (a 5xx, a refused write or a network error).

With `--server-pid` (gunicorn's master, on the same Linux machine) it also prints the CPU the
server used per request (the master and its workers, from /proc:
`brm.bench_http.server_cpu_seconds`): the figure issue 14 reasons with (77 ms then, so two
cores top out near 26 requests/s), steadier than requests per second on a machine shared with
other work, and free of the load's own CPU (this script's clients run on the same cores and
take a share of them). `manage.py bench_http` compares pages with bare floors this way.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import django
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brm.settings")
django.setup()

# The project's modules load only once Django is set up (above).
from django.contrib.auth import get_user_model  # noqa: E402

from brm.bench_http import server_cpu_seconds, sign_in  # noqa: E402
from brm.core.models import ApiToken  # noqa: E402
from brm.core.roles import leader_unit_id  # noqa: E402
from stakeholders.models import BusinessUnit  # noqa: E402

READS = {
    "brm": [
        "/units/{unit}/",
        "/relationships/",
        "/stakeholders/",
        "/commitments/",
        "/reviews/",
        "/complaints/",
        "/demands/",
        "/api/v1/interactions/",
        "/api/v1/stakeholders/",
    ],
    "leader": ["/units/{leader_unit}/", "/commitments/", "/complaints/", "/api/v1/complaints/"],
    "cio": ["/dashboard/", "/units/", "/reviews/", "/demands/", "/api/v1/health/"],
}
WRITE_SHARE = 0.30


def setup() -> dict[str, Any]:
    """Sessions for the demo BRM, leader and CIO (`brm.bench_http.sign_in`), a token for the
    BRM, and the units used."""
    # httpx logs every request at INFO: formatting and printing them cost the clients CPU that
    # the server on the same cores would otherwise get.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=READS)}
    cookies = {}
    for name, cookie in sign_in(list(users.values())).items():
        key, _, value = cookie.partition("=")
        cookies[name] = {key: value}
    _token, raw = ApiToken.issue(users["brm"], "load script")
    units = list(BusinessUnit.objects.filter(brm=users["brm"]).values_list("pk", flat=True))
    return {
        "cookies": cookies,
        "token": raw,
        "units": units,
        "leader_unit": leader_unit_id(users["leader"]),
    }


def worker(base: str, ctx: dict[str, Any], stop: float, budget: list[int], out: list[Any]) -> None:
    rng = random.Random()
    clients = {
        role: httpx.Client(base_url=base, cookies=c, timeout=30)
        for role, c in ctx["cookies"].items()
    }
    api = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {ctx['token']}"}, timeout=30
    )
    lock = ctx["lock"]
    while time.monotonic() < stop:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        start = time.perf_counter()
        try:
            if rng.random() < WRITE_SHARE:
                kind = "write"
                response = api.post(
                    "/api/v1/interactions/",
                    json={
                        "unit": rng.choice(ctx["units"]),
                        "kind": "call",
                        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "summary": "Load test call",
                        "sentiment": rng.choice([-1, 0, 1]),
                    },
                )
                ok = response.status_code == 201
            else:
                role = rng.choice(list(READS))
                kind = f"read {role}"
                url = rng.choice(READS[role]).format(
                    unit=rng.choice(ctx["units"]), leader_unit=ctx["leader_unit"]
                )
                response = clients[role].get(url)
                ok = response.status_code == 200
            status: Any = response.status_code
        except httpx.HTTPError as exc:
            ok, status = False, type(exc).__name__
        out.append((kind, time.perf_counter() - start, ok, status))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--budget", type=int, default=20_000, help="At most this many requests.")
    parser.add_argument(
        "--server-pid", type=int, help="gunicorn's master: also print its CPU per request."
    )
    args = parser.parse_args()
    ctx = setup()
    cpu_before = server_cpu_seconds(args.server_pid) if args.server_pid else 0.0
    ctx["lock"] = threading.Lock()
    budget = [args.budget]
    out: list[Any] = []  # list.append is atomic in CPython
    start = time.monotonic()
    threads = [
        threading.Thread(
            target=worker, args=(args.base, ctx, start + args.seconds, budget, out), daemon=True
        )
        for _ in range(args.clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu_used = server_cpu_seconds(args.server_pid) - cpu_before if args.server_pid else 0.0
    errors = Counter(str(status) for _kind, _s, ok, status in out if not ok)
    print(
        f"{len(out)} requests in {elapsed:.1f} s with {args.clients} clients: "
        f"{len(out) / elapsed:.1f} requests/s, {sum(errors.values())} errors {dict(errors)}"
    )
    if args.server_pid and out and cpu_used > 0:  # 0: not the master's pid, or not Linux
        per_request = cpu_used / len(out)
        print(
            f"  server CPU {per_request * 1000:.1f} ms per request: two cores serve at most "
            f"{2 / per_request:.0f} requests/s"
        )
    for kind in sorted({k for k, *_ in out}):
        times = sorted(s for k, s, *_ in out if k == kind)
        p95 = times[int(len(times) * 0.95) - 1] if len(times) >= 20 else times[-1]
        print(
            f"  {kind:<12} {len(times):>6}  median {statistics.median(times) * 1000:7.1f} ms"
            f"  p95 {p95 * 1000:7.1f} ms"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
