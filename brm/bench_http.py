"""Throughput over HTTP, as issue 14 measures it: pages and API lists against bare floors served by
the same gunicorn (3 sync workers, DEBUG off) in one alternating run (`manage.py bench_http`).

Project wiring (it reads every app's URLs through `brm.bench_web`).

The in-process bench (`brm.bench_web`) leaves out what every request pays for HTTP and WSGI
(accepting the connection, parsing, gunicorn's worker loop, the access log), which the issue's
ratios include: "the stakeholder API list serves 0.65x the requests per second of a bare DRF
paginated list of the same model". Here a gunicorn started with `brm.settings_bench` serves the
project's URLs and the floors of `brm.bench_urls`, and `Load` keeps `clients` threads requesting
one URL for a short slice, then the next.

URLs are measured in groups (`groups`): one role's pages, or one client's API lists, with the two
floors each is held to, requested with the same credentials as the group's URLs where the floor is
signed in:

- pages: `bare` is the anonymous bare table, `floor` the page floor (signed in, in a layout);
- API lists: `bare` is the anonymous bare DRF list, `floor` the same list behind the project's
  API authentication (`/bench/floor/drf-auth/`).

Each round of a group runs the floors' slices, up to `floor_every` URLs' slices, the floors again,
and so on, ending with the floors; a URL is compared with the floor slices just before and after
its own (`Group.schedule`), so both meet the same machine even when other work comes and goes.

Per URL it reports requests per second, the server's CPU per request (gunicorn's master and
workers, and apart the PostgreSQL backends serving them, from /proc: steadier than requests per
second, since the load's own threads share the cores with the server) and, against each floor,
the throughput ratio: requests per second over the floor's (`rps`), and the floor's CPU per
request over ours (`cpu`, gunicorn's and the database's together: what the same cores would
serve). 1.0 is as fast as the floor; issue
14's goal is 0.9 for both floors, and no page under 0.25 of the bare table.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from brm.bench_web import FLOORS, PAGES

# The pages of issue 14's comparison (their roles as in the in-process bench), and the roles.
HTTP_PAGES = (
    "stakeholders",
    "reviews",
    "commitments",
    "demands",
    "complaints",
    "unit page",
    "dashboard",
)
PAGE_ROLES = ("brm", "leader", "cio")
API_ROLES = ("brm", "integration")  # the BRM signed in (a browser), the integration by token
ANONYMOUS = "anonymous"
GOAL = 0.9  # issue 14: at least 0.9x the floors' throughput
WORST = 0.25  # and no page slower than 4x the bare table
GUNICORN_CONF = Path(settings.BASE_DIR) / "brm" / "gunicorn.conf.py"


@dataclass(frozen=True)
class Target:
    """One URL requested with one role's credentials (`ANONYMOUS`: none)."""

    name: str
    role: str
    url: str
    kind: str  # "page", "api" or "floor"


@dataclass(frozen=True)
class Group:
    """One role's pages (or one client's API lists) and the two floors they are held to:
    `bare` (anonymous: the bare table, or the bare DRF list) and `floor` (signed in as `role`:
    the page floor, or the DRF list behind the API authentication)."""

    label: str
    role: str
    bare: Target
    floor: Target
    targets: tuple[Target, ...]

    def schedule(self, floor_every: int) -> list[tuple[Target, ...]]:
        """The chunks of one round: the URLs, `floor_every` at a time. A round runs both floors,
        a chunk, both floors, the next chunk, ... and both floors again at the end, so chunk i
        lies between the floors' blocks i and i + 1."""
        step = max(1, floor_every)
        return [self.targets[i : i + step] for i in range(0, len(self.targets), step)]


def groups(unit: int, api: list[tuple[str, str]]) -> list[Group]:
    """The groups of issue 14's comparison: for each of `PAGE_ROLES`, the `HTTP_PAGES` it may
    see (the unit page is the leader's unit `unit`), and for each of `API_ROLES`, every API list
    (`api`: (name, url), as `brm.bench_web.api_lists` gives them)."""
    out = []
    for role in PAGE_ROLES:
        pages = tuple(
            Target(name, role, url.format(unit=unit), "page")
            for name, url, roles in PAGES
            if name in HTTP_PAGES and role in roles
        )
        out.append(
            Group(
                f"pages as {role}",
                role,
                Target("floor: table", ANONYMOUS, FLOORS["table"], "floor"),
                Target("floor: page", role, FLOORS["page"], "floor"),
                pages,
            )
        )
    for role in API_ROLES:
        lists = tuple(Target(f"API {name}", role, url, "api") for name, url in api)
        out.append(
            Group(
                f"API as {role}",
                role,
                Target("floor: drf", ANONYMOUS, FLOORS["drf"], "floor"),
                Target("floor: drf-auth", role, FLOORS["drf-auth"], "floor"),
                lists,
            )
        )
    return out


@dataclass
class Tally:
    """Requests of one URL (or of the floor slices around it) summed over slices."""

    requests: int = 0
    seconds: float = 0.0  # wall time of the slices
    cpu: float = 0.0  # gunicorn's CPU seconds (master and workers)
    db_cpu: float = 0.0  # the PostgreSQL backends' CPU seconds serving it
    errors: int = 0  # network errors
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.db_cpu += other.db_cpu
        self.errors += other.errors
        self.statuses.update(other.statuses)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per request (gunicorn's), 0.0 without requests."""
        return self.cpu * 1000 / self.requests if self.requests else 0.0

    @property
    def db_cpu_ms(self) -> float:
        return self.db_cpu * 1000 / self.requests if self.requests else 0.0


def throughput_ratios(ours: Tally, floor: Tally) -> tuple[float | None, float | None]:
    """(requests per second over the floor's, the floor's server CPU per request over ours),
    rounded to 2 places: both are throughput ratios, 1.0 as fast as the floor, higher is faster.
    The server's CPU is gunicorn's and its database backends': on one machine both share the
    cores. None where either side has no requests (or no measurable CPU)."""
    rps = round(ours.rps / floor.rps, 2) if ours.rps and floor.rps else None
    mine, theirs = ours.cpu_ms + ours.db_cpu_ms, floor.cpu_ms + floor.db_cpu_ms
    cpu = round(theirs / mine, 2) if mine and theirs else None
    return rps, cpu


@dataclass
class Row:
    """One line of the report: a URL's throughput and its ratios to the group's floors."""

    group: str
    name: str
    role: str
    url: str
    kind: str
    status: str  # the answers, e.g. "200" or "200 x120, 500 x3"; "403" for a refused list
    requests: int = 0
    rps: float = 0.0
    cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0
    bare_rps: float | None = None
    bare_cpu: float | None = None
    floor_rps: float | None = None
    floor_cpu: float | None = None
    floor_cpu_rounds: list[float | None] = field(default_factory=list)  # `floor_cpu` per round

    @property
    def ok(self) -> bool:
        """Every answer a 200 (or a refusal seen at warm-up, nothing timed)."""
        return self.status in ("200", "403")


def row(
    group: Group,
    target: Target,
    ours: Tally,
    bare: Tally,
    floor: Tally,
    rounds: list[float | None] | None = None,
) -> Row:
    """The report line of `target`, measured `ours`, beside the floor slices around it (and its
    CPU ratio to the signed-in floor in each round, `rounds`)."""
    answers = [f"{s} x{n}" for s, n in sorted(ours.statuses.items())]
    if ours.errors:
        answers.append(f"errors x{ours.errors}")
    only = len(ours.statuses) == 1 and not ours.errors
    status = str(next(iter(ours.statuses))) if only else ", ".join(answers)
    bare_rps, bare_cpu = throughput_ratios(ours, bare) if target.kind != "floor" else (None, None)
    floor_rps, floor_cpu = throughput_ratios(ours, floor) if target.kind != "floor" else (None,) * 2
    return Row(
        group.label,
        target.name,
        target.role,
        target.url,
        target.kind,
        status,
        ours.requests,
        round(ours.rps, 1),
        round(ours.cpu_ms, 2),
        round(ours.db_cpu_ms, 2),
        bare_rps,
        bare_cpu,
        floor_rps,
        floor_cpu,
        list(rounds or []),
    )


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _spread(values: list[float | None]) -> str:
    """The lowest and highest of a URL's per-round ratios, "0.58-0.65"; "-" without any."""
    known = [v for v in values if v is not None]
    return f"{min(known):.2f}-{max(known):.2f}" if known else "-"


def table(rows: list[Row]) -> list[str]:
    """The printed table: per URL its requests/s, gunicorn and database CPU ms per request, the
    throughput ratios (rps, cpu) to the group's bare floor and signed-in floor, and the range of
    the CPU ratio to the signed-in floor over the rounds (how steady the run was)."""
    head = (
        f"{'URL':<28} {'role':<11} {'req/s':>6} {'cpu ms':>7} {'db ms':>6}"
        f" | {'x bare':>6} {'(cpu)':>5} | {'x floor':>7} {'(cpu)':>5} {'rounds':>9}"
    )
    lines = [head, "-" * len(head)]
    current = ""
    for r in rows:
        if r.group != current:
            current = r.group
            lines.append(f"{r.group}:")
        if r.status == "403" and not r.requests:
            lines.append(f"{r.name[:28]:<28} {r.role[:11]:<11} refused (403): not timed")
            continue
        flag = "" if r.status == "200" else f"  [{r.status}]"
        lines.append(
            f"{r.name[:28]:<28} {r.role[:11]:<11} {r.rps:>6.1f} {r.cpu_ms:>7.2f} "
            f"{r.db_cpu_ms:>6.2f} | {_ratio(r.bare_rps):>6} {_ratio(r.bare_cpu):>5} | "
            f"{_ratio(r.floor_rps):>7} {_ratio(r.floor_cpu):>5} "
            f"{_spread(r.floor_cpu_rounds):>9}{flag}".rstrip()
        )
    return lines


def shortfalls(rows: list[Row]) -> list[str]:
    """One line per aim of issue 14 that some URL misses, by the CPU ratio (steadier than
    requests per second): under `GOAL` of the signed-in floor, under `GOAL` of the bare floor,
    and (pages) under `WORST` of the bare table, i.e. slower than 4x it; each lists the URLs
    ("name as role ratio"), lowest first."""
    timed = [r for r in rows if r.kind != "floor" and r.requests]
    aims: list[tuple[str, Callable[[Row], float | None], float, list[Row]]] = [
        (f"under {GOAL}x the signed-in floor", lambda r: r.floor_cpu, GOAL, timed),
        (f"under {GOAL}x the bare floor", lambda r: r.bare_cpu, GOAL, timed),
        (
            "slower than 4x the bare table",
            lambda r: r.bare_cpu,
            WORST,
            [r for r in timed if r.kind == "page"],
        ),
    ]
    out = []
    for label, ratio, limit, candidates in aims:
        measured = [(value, r) for r in candidates if (value := ratio(r)) is not None]
        missed = sorted(
            [(value, r) for value, r in measured if value < limit], key=lambda pair: pair[0]
        )
        if missed:
            names = ", ".join(f"{r.name} as {r.role} {value:.2f}" for value, r in missed)
            out.append(f"{label} (cpu), {len(missed)} of {len(candidates)}: {names}")
    return out


# --- the server ----------------------------------------------------------------------------


def _stat_seconds(pid: int, children: bool = False) -> float:
    """CPU seconds of process `pid` from /proc/<pid>/stat (user + system; with `children`, also
    its waited-for children's), 0.0 when it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), 11-14 after the name.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its children (Linux /proc): a
    gunicorn master and its workers. A worker recycled meanwhile (max_requests) counts once the
    master has waited for it (its children's times), so only the last moments of a worker that
    has just exited can be missing."""
    total = _stat_seconds(pid, children=True)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        total += sum(_stat_seconds(int(p)) for p in children.read_text().split())
    return total


def database_backends() -> list[int]:
    """The PostgreSQL backends connected to this database but our own (the server's workers'),
    or [] on another database engine."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def sign_in(users: list[User]) -> dict[str, str]:
    """A session cookie value per username, the session created directly in the database the
    server uses (so sign-in pages, lockout and second-factor prompts stay out of a measurement)."""
    out = {}
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # The backend a real sign-in records (allauth's), whatever the list's order.
        session[BACKEND_SESSION_KEY] = "brm.accounts.backends.SignInBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out[user.get_username()] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running gunicorn: its master's pid and where it listens."""

    pid: int
    host: str
    port: int
    workers: int


def server_environment(database_url: str) -> dict[str, str]:
    """The environment of the bench's gunicorn: ours, with the bench settings (the floors'
    URLs), DEBUG off, the loopback allowed as host, `database_url`, and connections kept for an
    hour (production keeps them 60 s; the time the backends took is read per backend, and a
    backend that closes mid-slice would take its share with it)."""
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    env.update(
        DJANGO_SETTINGS_MODULE="brm.settings_bench",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="3600",
    )
    # Without collectstatic's manifest the pages could not name their stylesheet.
    env.setdefault("STATIC_STORAGE", "plain")
    return env


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    """Start gunicorn (`brm/gunicorn.conf.py`, `workers` sync workers, never recycled: a worker
    importing the project mid-slice would be timed as a request) on a free loopback port, wait
    until it answers and its workers are idle, yield it, then stop it (SIGTERM, then SIGKILL).
    RuntimeError when it does not come up within a minute (its log is `log`)."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "brm.wsgi",
        "-c",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--max-requests",
        "0",
        # Not the control socket every gunicorn of this user shares by default (~/.gunicorn):
        # a `make run` or another bench beside this one would be taken over.
        "--no-control-socket",
    ]
    with log.open("wb") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,  # the access log: written as in production, not kept
            stderr=errors,
        )
        try:
            server = Server(process.pid, "127.0.0.1", port, workers)
            _wait_until_up(server, process)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
            conn.request("GET", FLOORS["json"])
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        raise RuntimeError("gunicorn did not answer within a minute")
    # Every worker imports the project on its own: wait until they all have (the server idle).
    before = server_cpu_seconds(server.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server_cpu_seconds(server.pid)
        if now - before < 0.05:
            return
        before = now
    raise RuntimeError("gunicorn's workers did not settle within a minute")


# --- the load ------------------------------------------------------------------------------


class Load:
    """`clients` threads, each with its own connection, requesting one URL at a time for a slice
    of seconds (`run`). Gunicorn's sync workers close each connection after the response, so
    each request opens a new one, as the issue's wrk run did against them."""

    def __init__(self, server: Server, clients: int) -> None:
        self.server = server
        self._start = threading.Barrier(clients + 1)
        self._done = threading.Barrier(clients + 1)
        self._lock = threading.Lock()
        self._job: tuple[str, dict[str, str], float] | None = None
        self._tally = Tally()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        for thread in self._threads:
            thread.start()

    def run(self, url: str, headers: dict[str, str], seconds: float) -> Tally:
        """Every client requests `url` until `seconds` have passed; the answers, the wall time
        until the last one and the server's CPU (gunicorn's and its database backends')."""
        self._tally = Tally()
        backends = database_backends()
        db_before = {pid: _stat_seconds(pid) for pid in backends}
        cpu_before = server_cpu_seconds(self.server.pid)
        wall = time.perf_counter()
        self._job = (url, headers, time.monotonic() + seconds)
        self._start.wait()
        self._done.wait()
        tally = self._tally
        tally.seconds = time.perf_counter() - wall
        tally.cpu = server_cpu_seconds(self.server.pid) - cpu_before
        # A backend opened meanwhile counts from 0; one closed meanwhile is lost (see
        # server_environment: connections outlive the run).
        tally.db_cpu = sum(
            _stat_seconds(pid) - db_before.get(pid, 0.0) for pid in database_backends()
        )
        return tally

    def close(self) -> None:
        self._job = None
        self._start.wait()
        for thread in self._threads:
            thread.join()

    def _client(self) -> None:
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        while True:
            self._start.wait()
            job = self._job
            if job is None:
                conn.close()
                return
            url, headers, deadline = job
            mine = Tally()
            first = True  # every client answers at least once, however late it woke up
            while first or time.monotonic() < deadline:
                first = False
                try:
                    conn.request("GET", url, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    mine.statuses[response.status] += 1
                    mine.requests += 1
                except (OSError, http.client.HTTPException):
                    mine.errors += 1
                    conn.close()
            with self._lock:
                self._tally.add(mine)
            self._done.wait()


@dataclass
class Credentials:
    """Request headers per role: a session cookie for the signed-in roles, a bearer token for
    the integration, none for `ANONYMOUS`."""

    headers: dict[str, dict[str, str]]

    def of(self, target: Target) -> dict[str, str]:
        """The headers `target` is requested with; an API client's asks for JSON."""
        headers = dict(self.headers[target.role])
        if target.kind == "api" or target.url in (FLOORS["drf"], FLOORS["drf-auth"]):
            headers["accept"] = "application/json"
        return headers


def measure(
    load: Load,
    plan: list[Group],
    credentials: Credentials,
    *,
    seconds: float,
    rounds: int,
    floor_every: int,
    warmup: float,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Every group's URLs for `rounds` rounds of `seconds`-long slices, floors alternating
    (`Group.schedule`), after a warm-up slice of each URL (`warmup` seconds: each worker loads
    its templates and caches). A URL refused at warm-up (403: the role may not see that list) is
    reported and not timed. Returns one `Row` per floor and URL, group by group."""
    rows = []
    for group in plan:
        if progress:
            progress(f"{group.label}: warming up")
        timed, refused = _warm_up(load, group, credentials, warmup)
        rows.extend(_rounds(load, timed, credentials, seconds, rounds, floor_every, progress))
        rows.extend(refused)
    return rows


def _warm_up(
    load: Load, group: Group, credentials: Credentials, seconds: float
) -> tuple[Group, list[Row]]:
    """`group` without the URLs its role is refused (403), and their rows."""
    kept, refused = [], []
    for target in (group.bare, group.floor, *group.targets):
        seen = load.run(target.url, credentials.of(target), seconds)
        if target.kind == "floor":
            continue
        if set(seen.statuses) == {403} and not seen.errors:
            refused.append(
                Row(group.label, target.name, target.role, target.url, target.kind, "403")
            )
        else:
            kept.append(target)
    return Group(group.label, group.role, group.bare, group.floor, tuple(kept)), refused


def _rounds(
    load: Load,
    group: Group,
    credentials: Credentials,
    seconds: float,
    rounds: int,
    floor_every: int,
    progress: Callable[[str], None] | None,
) -> list[Row]:
    """The timed rounds of `group`: its floors' rows, then one per URL beside the floor slices
    just before and after its own, with its ratio to the signed-in floor round by round."""
    chunks = group.schedule(floor_every)
    floors = (group.bare, group.floor)
    ours = {t: Tally() for t in (*floors, *group.targets)}
    beside = {t: (Tally(), Tally()) for t in group.targets}
    by_round: dict[Target, list[float | None]] = {t: [] for t in group.targets}
    for round_ in range(1, rounds + 1):
        blocks: list[tuple[Tally, Tally]] = []
        mine: dict[Target, Tally] = {}
        for i in range(len(chunks) + 1):
            if progress:
                progress(f"{group.label}: round {round_}/{rounds}, floors")
            bare, floor = (load.run(f.url, credentials.of(f), seconds) for f in floors)
            ours[group.bare].add(bare)
            ours[group.floor].add(floor)
            blocks.append((bare, floor))
            for target in chunks[i] if i < len(chunks) else ():
                if progress:
                    progress(f"{group.label}: round {round_}/{rounds}, {target.name}")
                mine[target] = load.run(target.url, credentials.of(target), seconds)
                ours[target].add(mine[target])
        for i, chunk in enumerate(chunks):
            for target in chunk:
                floor_now = Tally()
                for bare, floor in (blocks[i], blocks[i + 1]):
                    beside[target][0].add(bare)
                    beside[target][1].add(floor)
                    floor_now.add(floor)
                by_round[target].append(throughput_ratios(mine[target], floor_now)[1])
    return [
        row(group, group.bare, ours[group.bare], Tally(), Tally()),
        row(group, group.floor, ours[group.floor], Tally(), Tally()),
        *(row(group, t, ours[t], *beside[t], by_round[t]) for t in group.targets),
    ]


def report(rows: list[Row], **context: Any) -> dict[str, Any]:
    """The JSON report: `context` (settings of the run, load averages) and the rows."""
    return {**context, "rows": [asdict(r) for r in rows]}
