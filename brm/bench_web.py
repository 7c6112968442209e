"""The web part of `make bench`: every page in the navigation and every API list, per role,
against bare floors timed in the same run (issue 14).

Project wiring (it reads every app's URLs and writes rows in every app for the larger size).

For each size it measures, per (page, role): the median server time of `runs` requests through
Django's in-process test client (the whole middleware stack, DEBUG off), the median CPU time of
the process for them (steadier than wall time on a shared machine) and the largest query count.
Five floors are measured the same way in the same run (`brm.bench_urls`, never in production
URLs): a plain `JsonResponse`, a bare DRF paginated list, a bare template table (anonymous),
each of 50 stakeholders with their unit joined, the API floor: the same DRF list behind the
project's API authentication, and the page floor: the same table signed in (`login_required`,
the session and the user loaded) inside a minimal base layout.

A page's ratio (`x floor`) is its time over the page floor's, requested by the same signed-in
role: what a bare stack serving private data pays at least, so 1.0 would be as lean as it. Until
issue 14's second pass the floor was the anonymous bare table, which pays neither the session
nor the user nor any layout; that ratio is still reported (`x bare`, `bare_ratio`). An API
list is held the same way to the authenticated DRF floor (`x floor`: the bare DRF list behind
the project's API authentication and `IsAuthenticated`, requested with the list's own session
or token) and reported against the anonymous bare DRF list (`x bare`). The floors' requests
alternate with the page's own
(`measure_against`), so both meet the same machine: on a shared machine a floor timed once at
the start made the same page's ratio swing threefold between runs.

The promise checked: a page's query count is the same at every size (`grown` lists those that
differ).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brm import urls as project_urls  # noqa: F401  registers every app's viewsets on the router
from brm.core.api import router
from brm.core.models import ApiToken
from brm.core.roles import leader_unit_id

ROLE_USERS = {"brm": "brm", "leader": "leader", "cio": "cio", "admin": "admin"}
IT_ROLES = ("brm", "cio", "admin")
ALL_ROLES = ("brm", "leader", "cio", "admin")
# Navigation pages (templates/base.html) and who sees them; `{unit}` is the leader's unit.
PAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("dashboard", "/dashboard/", ("cio", "admin")),
    ("my relationships", "/relationships/", ("brm",)),
    ("unit page", "/units/{unit}/", ALL_ROLES),
    ("unit health", "/units/{unit}/health/", ALL_ROLES),
    ("units", "/units/", IT_ROLES),
    ("stakeholders", "/stakeholders/", IT_ROLES),
    ("stakeholder map", "/stakeholders/map/", IT_ROLES),
    ("commitments", "/commitments/", ALL_ROLES),
    ("services", "/services/", ALL_ROLES),
    ("reviews", "/reviews/", ALL_ROLES),
    ("complaints", "/complaints/", ALL_ROLES),
    ("feedback", "/feedback/", ALL_ROLES),
    ("demands", "/demands/", ALL_ROLES),
    ("surveys", "/surveys/", IT_ROLES),
    ("profile", "/profile/", ALL_ROLES),
]
API_ROLES = ("brm", "leader", "cio", "admin", "integration")
# A role refused a page or list (403) is measured too: a refusal must stay cheap.
ANSWERS = (200, 403)
FLOORS = {
    "json": "/bench/floor/json/",
    "drf": "/bench/floor/drf/",
    "drf-auth": "/bench/floor/drf-auth/",  # signed in: requested by the list's own client
    "table": "/bench/floor/table/",
    "page": "/bench/floor/page/",  # signed in: requested by the role whose page it is held to
}
SIGNED_IN_FLOORS = ("drf-auth", "page")


@dataclass
class Timing:
    """One (page, role) at one size: medians in milliseconds, the largest query count
    (`queries`, what the 12-query aim is held to) and the smallest (`fewest_queries`, what
    `grown` compares: see there)."""

    name: str
    role: str
    url: str
    kind: str  # "page", "api" or "floor"
    status: int
    ms: float
    cpu_ms: float
    queries: int
    ratio: float | None = None  # ms over the floor's ms (page floor; authenticated DRF for APIs)
    cpu_ratio: float | None = None  # the same with CPU time, steadier on a busy machine
    bare_ratio: float | None = None  # ms over the anonymous bare table's (bare DRF list for APIs)
    bare_cpu_ratio: float | None = None  # the same with CPU time
    fewest_queries: int | None = None  # the smallest count of the runs (None: not recorded)


@dataclass
class SizeResult:
    label: str
    rows: dict[str, int]
    timings: list[Timing] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "rows": self.rows,
            "timings": [asdict(t) for t in self.timings],
        }


def measure_against(
    client: Client, url: str, floors: list[tuple[Client, str]], runs: int
) -> tuple[int, float, float, tuple[int, int], list[tuple[float | None, float | None]]]:
    """`runs` GETs of `url` by `client`, each followed by a request of each floor (client, url),
    after one warm-up request each: status, median wall ms, median CPU ms, the most and the
    fewest queries of a run, and per floor in order the ratios of the page's medians to the
    floor's (wall, CPU), None where the floor's median is 0. With no floors, the page alone."""
    client.get(url)
    for floor, floor_url in floors:
        floor.get(floor_url)
    walls, cpus, queries, status = [], [], [], 0
    floor_walls: list[list[float]] = [[] for _ in floors]
    floor_cpus: list[list[float]] = [[] for _ in floors]
    for _ in range(runs):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        status = response.status_code
        queries.append(len(ctx.captured_queries))
        for i, (floor, floor_url) in enumerate(floors):
            wall, cpu = time.perf_counter(), time.process_time()
            floor.get(floor_url)
            floor_walls[i].append(time.perf_counter() - wall)
            floor_cpus[i].append(time.process_time() - cpu)
    ms, cpu_ms = statistics.median(walls), statistics.median(cpus)
    ratios = []
    for f_walls, f_cpus in zip(floor_walls, floor_cpus, strict=True):
        floor_ms, floor_cpu = statistics.median(f_walls), statistics.median(f_cpus)
        ratios.append(
            (
                round(ms / floor_ms, 2) if floor_ms else None,
                round(cpu_ms / floor_cpu, 2) if floor_cpu else None,
            )
        )
    counts = (max(queries), min(queries))
    return status, round(ms * 1000, 2), round(cpu_ms * 1000, 2), counts, ratios


def api_lists() -> list[tuple[str, str]]:
    """(name, url) of every list the API router serves."""
    out = []
    for prefix, viewset, basename in router.registry:
        if "list" in getattr(viewset, "http_method_names", ["get"]) or hasattr(viewset, "list"):
            try:
                out.append((prefix, reverse(f"{basename}-list")))
            except Exception:  # noqa: BLE001 - a viewset without a list route is not a list
                continue
    return sorted(out)


def clients() -> dict[str, Client]:
    """A signed-in browser per role, and a bearer-token client for the integration."""
    users = get_user_model().objects.filter(username__in=[*ROLE_USERS.values(), "integration"])
    by_name: dict[str, User] = {u.username: u for u in users}
    out: dict[str, Client] = {}
    for role, username in ROLE_USERS.items():
        browser = Client()
        browser.force_login(by_name[username])
        out[role] = browser
    _token, raw = ApiToken.issue(by_name["integration"], "bench-web")
    out["integration"] = Client(headers={"authorization": f"Bearer {raw}"})
    out["anonymous"] = Client()
    return out


def measure_size(
    label: str, rows: dict[str, int], runs: int, progress: Callable[[str], None]
) -> SizeResult:
    """Every floor, page and API list for every role that may see it, at the current data."""
    leader = get_user_model().objects.get(username="leader")
    unit = leader_unit_id(leader)
    browsers = clients()
    result = SizeResult(label, rows)
    for name, url in FLOORS.items():
        signed_in = name in SIGNED_IN_FLOORS  # requested as the BRM
        browser = browsers["brm" if signed_in else "anonymous"]
        role = "brm" if signed_in else "-"
        status, ms, cpu, (most, fewest), _ = measure_against(browser, url, [], runs)
        result.timings.append(
            Timing(
                f"floor: {name}", role, url, "floor", status, ms, cpu, most, fewest_queries=fewest
            )
        )
    anonymous = browsers["anonymous"]

    def timed(name: str, role: str, url: str, kind: str, floor: str, bare: str) -> Timing:
        # The page's requests alternate with its floor's (as the same role) and the anonymous one's.
        progress(f"{label}: {name} as {role}")
        floors = [(browsers[role], FLOORS[floor]), (anonymous, FLOORS[bare])]
        status, ms, cpu, (most, fewest), ratios = measure_against(browsers[role], url, floors, runs)
        (ratio, cpu_ratio), (bare_ratio, bare_cpu) = ratios
        return Timing(
            name,
            role,
            url,
            kind,
            status,
            ms,
            cpu,
            most,
            ratio,
            cpu_ratio,
            bare_ratio,
            bare_cpu,
            fewest,
        )

    for name, pattern, roles in PAGES:
        url = pattern.format(unit=unit)
        result.timings += [timed(name, role, url, "page", "page", "table") for role in roles]
    for name, url in api_lists():
        result.timings += [
            timed(f"API {name}", role, url, "api", "drf-auth", "drf") for role in API_ROLES
        ]
    return result


def grown(small: SizeResult, large: SizeResult) -> list[dict[str, Any]]:
    """(page, role) whose query count is higher at the larger size, with both counts. Fewer is
    not growth: the unit page loads only the kinds of entry its newest 20 hold (2-9 queries for
    its timeline, whatever the history's length), and the mix differs between data sets.

    Each size's count is the fewest of its runs. A query that grows with the data is in every
    run; a write made at most once a minute is not: an API token's last use is recorded then,
    so whichever run crosses a minute has one query more (the +2000 run of `API units` as the
    integration did: 3 queries at demo size, 4 in one run at +2000)."""

    def fewest(t: Timing) -> int:
        return t.queries if t.fewest_queries is None else t.fewest_queries

    before = {(t.name, t.role): fewest(t) for t in small.timings}
    return [
        {
            "name": t.name,
            "role": t.role,
            small.label: before[(t.name, t.role)],
            large.label: fewest(t),
        }
        for t in large.timings
        if (t.name, t.role) in before and fewest(t) > before[(t.name, t.role)]
    ]


def table(results: list[SizeResult]) -> list[str]:
    """The printed table: one line per (page, role), each size's ms, CPU ms, queries, CPU ratio
    to the floor (`x floor`: the page floor for pages, the authenticated DRF list for API lists)
    and to the anonymous bare one (`x bare`: the bare table for pages, the bare DRF list for
    API lists)."""
    head = f"{'page':<30} {'role':<12}" + "".join(
        f" | {r.label[:10]:>10} {'ms':>7} {'cpu':>7} {'q':>3} {'x floor':>7} {'x bare':>6}"
        for r in results
    )
    lines = [head, "-" * len(head)]
    keyed = [{(t.name, t.role): t for t in r.timings} for r in results]
    for t in results[0].timings:
        line = f"{t.name[:30]:<30} {t.role:<12}"
        for r in keyed:
            other = r.get((t.name, t.role))
            if other is None:
                line += " | " + " " * 45
                continue
            ratio = f"{other.cpu_ratio:.2f}" if other.cpu_ratio is not None else "-"
            bare = f"{other.bare_cpu_ratio:.2f}" if other.bare_cpu_ratio is not None else "-"
            flag = "" if other.status == 200 else f" {other.status}"
            line += (
                f" | {flag:>10} {other.ms:>7.1f} {other.cpu_ms:>7.1f} {other.queries:>3}"
                f" {ratio:>7} {bare:>6}"
            )
        lines.append(line)
    return lines
