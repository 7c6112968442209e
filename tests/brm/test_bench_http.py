"""The HTTP throughput bench: which URLs meet which floors, the ratios, the table, and one short
run against a real gunicorn."""

from __future__ import annotations

import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brm import settings_bench
from brm.bench_http import (
    ANONYMOUS,
    Credentials,
    Group,
    Load,
    Row,
    Tally,
    groups,
    gunicorn,
    measure,
    row,
    server_cpu_seconds,
    server_environment,
    shortfalls,
    sign_in,
    table,
    throughput_ratios,
)
from brm.core.models import ApiToken
from brm.management.commands.bench_http import database_url
from tests.factories import StakeholderFactory

API = [("stakeholders", "/api/v1/stakeholders/"), ("units", "/api/v1/units/")]


def _by_label() -> dict[str, Group]:
    return {g.label: g for g in groups(7, API)}


def test_it_holds_each_role_s_pages_to_the_table_and_its_own_page_floor():
    plan = _by_label()

    brm = plan["pages as brm"]
    assert [t.name for t in brm.targets] == [
        "unit page",
        "stakeholders",
        "commitments",
        "reviews",
        "complaints",
        "demands",
    ]
    assert ("/units/7/", "brm") in [(t.url, t.role) for t in brm.targets]
    assert (brm.bare.url, brm.bare.role) == ("/bench/floor/table/", ANONYMOUS)
    assert (brm.floor.url, brm.floor.role) == ("/bench/floor/page/", "brm")
    assert "stakeholders" not in [t.name for t in plan["pages as leader"].targets]
    assert [t.name for t in plan["pages as cio"].targets][0] == "dashboard"
    assert "dashboard" not in [t.name for t in plan["pages as brm"].targets]


def test_it_holds_every_api_list_to_the_bare_and_the_authenticated_drf_floors():
    plan = _by_label()

    for role in ("brm", "integration"):
        group = plan[f"API as {role}"]
        assert [(t.url, t.role, t.kind) for t in group.targets] == [
            ("/api/v1/stakeholders/", role, "api"),
            ("/api/v1/units/", role, "api"),
        ]
        assert (group.bare.url, group.bare.role) == ("/bench/floor/drf/", ANONYMOUS)
        assert (group.floor.url, group.floor.role) == ("/bench/floor/drf-auth/", role)
    assert list(plan) == [
        "pages as brm",
        "pages as leader",
        "pages as cio",
        "API as brm",
        "API as integration",
    ]


def test_a_round_puts_floors_between_chunks_of_urls():
    group = _by_label()["pages as brm"]

    chunks = group.schedule(4)
    assert [len(c) for c in chunks] == [4, 2]
    assert [t for c in chunks for t in c] == list(group.targets)
    assert [len(c) for c in group.schedule(0)] == [1] * 6


def test_credentials_ask_for_json_on_api_urls_only():
    credentials = Credentials({"brm": {"cookie": "sessionid=x"}, ANONYMOUS: {}})
    plan = _by_label()

    assert credentials.of(plan["pages as brm"].floor) == {"cookie": "sessionid=x"}
    assert credentials.of(plan["API as brm"].bare) == {"accept": "application/json"}
    assert credentials.of(plan["API as brm"].targets[0]) == {
        "cookie": "sessionid=x",
        "accept": "application/json",
    }


def test_the_ratios_are_throughputs_by_requests_and_by_server_cpu():
    ours = Tally(requests=50, seconds=1.0, cpu=0.5, db_cpu=0.1, statuses=Counter({200: 50}))
    floor = Tally(requests=100, seconds=1.0, cpu=0.4, db_cpu=0.2)

    # 50 vs 100 requests/s; the floor's 6 ms of CPU per request over our 12 ms.
    assert throughput_ratios(ours, floor) == (0.5, 0.5)
    assert throughput_ratios(ours, Tally()) == (None, None)
    assert throughput_ratios(Tally(), floor) == (None, None)


def _rows() -> list[Row]:
    group = _by_label()["pages as brm"]
    floor = Tally(requests=100, seconds=1.0, cpu=0.5, statuses=Counter({200: 100}))
    slow = Tally(requests=20, seconds=1.0, cpu=0.5, statuses=Counter({200: 18, 500: 2}))
    return [
        row(group, group.bare, floor, Tally(), Tally()),
        row(group, group.targets[0], floor, floor, floor, [0.95, 1.05]),
        row(group, group.targets[1], slow, floor, floor),
        Row(group.label, "API webhook-attempts", "brm", "/api/v1/webhook-attempts/", "api", "403"),
    ]


def test_a_row_keeps_its_answers_and_ratios():
    bare, same, slow, refused = _rows()

    assert (bare.status, bare.rps, bare.cpu_ms, bare.bare_rps) == ("200", 100.0, 5.0, None)
    assert (same.bare_rps, same.bare_cpu, same.floor_rps, same.floor_cpu) == (1.0, 1.0, 1.0, 1.0)
    assert (slow.status, slow.ok) == ("200 x18, 500 x2", False)
    assert (slow.bare_rps, slow.bare_cpu) == (0.2, 0.2)
    assert (same.floor_cpu_rounds, slow.floor_cpu_rounds) == ([0.95, 1.05], [])
    assert (refused.ok, refused.requests) == (True, 0)


def test_the_table_has_a_line_per_url_under_its_group():
    lines = table(_rows())

    assert lines[0].startswith("URL") and set(lines[1]) == {"-"}
    assert lines[2] == "pages as brm:"
    assert lines[3].startswith("floor: table") and lines[3].split()[3] == "100.0"
    assert lines[4].startswith("unit page") and lines[4].endswith("1.00  1.00 0.95-1.05")
    assert lines[5].endswith("0.20  0.20         -  [200 x18, 500 x2]")
    assert lines[6].endswith("brm         refused (403): not timed")


def test_it_names_the_urls_under_each_aim_lowest_first():
    group = _by_label()["pages as brm"]
    floor = Tally(requests=100, seconds=1.0, cpu=0.5)
    rows = [
        row(group, t, Tally(requests=n, seconds=1.0, cpu=0.5), floor, Tally(100, 1.0, 0.1))
        for t, n in zip(group.targets[:3], (95, 50, 20), strict=True)
    ]

    assert shortfalls(rows) == [
        "under 0.9x the signed-in floor (cpu), 3 of 3: commitments as brm 0.04, "
        "stakeholders as brm 0.10, unit page as brm 0.19",
        "under 0.9x the bare floor (cpu), 2 of 3: commitments as brm 0.20, "
        "stakeholders as brm 0.50",
        "slower than 4x the bare table (cpu), 1 of 3: commitments as brm 0.20",
    ]
    assert shortfalls(rows[:1]) == [
        "under 0.9x the signed-in floor (cpu), 1 of 1: unit page as brm 0.19"
    ]


def test_the_floors_are_served_only_with_the_bench_settings():
    assert settings_bench.ROOT_URLCONF == "brm.bench_urls"
    env = server_environment("postgres://u@h/brm_bench")
    assert env["DJANGO_SETTINGS_MODULE"] == "brm.settings_bench"
    assert (env["DEBUG"], env["DATABASE_URL"]) == ("0", "postgres://u@h/brm_bench")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux /proc")
def test_it_reads_a_process_cpu_from_proc():
    sum(i * i for i in range(200_000))  # a few ms of CPU, at least a clock tick or two

    assert server_cpu_seconds(os.getpid()) > 0
    assert server_cpu_seconds(2**22 + 1) == 0.0  # no such process


def test_it_refuses_empty_runs():
    with pytest.raises(CommandError, match="positive"):
        call_command("bench_http", "--rounds", "0", "--no-wipe")


@pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None or not Path("/proc/self/stat").exists(),
    reason="needs gunicorn and Linux /proc",
)
@pytest.mark.skipif(
    bool(os.environ.get("BRM_TEST_NOW")), reason="the server's clock is not the travelled one"
)
@pytest.mark.django_db(transaction=True)  # the server reads committed rows only
def test_one_short_run_against_gunicorn(brm, integration, unit_a, tmp_path):
    StakeholderFactory.create_batch(3, unit=unit_a)
    _token, raw = ApiToken.issue(integration, "bench-http test")
    credentials = Credentials(
        {
            "brm": {"cookie": sign_in([brm])["brm"]},
            "integration": {"authorization": f"Bearer {raw}"},
            ANONYMOUS: {},
        }
    )
    plan = _by_label()
    pages, api = plan["pages as brm"], plan["API as integration"]
    plan_ = [
        Group(pages.label, "brm", pages.bare, pages.floor, pages.targets[1:2]),  # stakeholders
        Group(api.label, "integration", api.bare, api.floor, api.targets),
    ]

    with gunicorn(server_environment(database_url()), 1, tmp_path / "gunicorn.log") as server:
        load = Load(server, 2)
        try:
            rows = measure(
                load, plan_, credentials, seconds=0.1, rounds=1, floor_every=4, warmup=0.05
            )
        finally:
            load.close()

    assert [(r.name, r.status) for r in rows] == [
        ("floor: table", "200"),
        ("floor: page", "200"),
        ("stakeholders", "200"),
        ("floor: drf", "200"),
        ("floor: drf-auth", "200"),
        ("API stakeholders", "200"),
        ("API units", "200"),
    ]
    assert all(r.requests >= 2 and r.rps > 0 for r in rows)
    assert all(len(r.floor_cpu_rounds) == 1 for r in rows if r.kind != "floor")
    assert all(r.floor_rps is not None for r in rows if r.kind != "floor")
