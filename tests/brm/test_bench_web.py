"""The web bench's floors and its promise that query counts do not grow with the data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from brm.bench_web import SizeResult, Timing, grown, table
from brm.core.models import ApiToken
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="brm.bench_urls")
def test_it_serves_the_floors_only_in_the_bench_urls(client, django_assert_num_queries, unit_a):
    StakeholderFactory.create_batch(3, unit=unit_a)
    assert client.get("/bench/floor/json/").json() == {"ok": True, "rows": 50}
    # 1 COUNT, 2 the page of stakeholders with their unit joined.
    with django_assert_num_queries(2):
        body = client.get("/bench/floor/drf/").json()
    assert body["count"] == 3
    assert body["results"][0]["unit_name"] == unit_a.name
    # 1 the stakeholders with their unit joined.
    with django_assert_num_queries(1):
        page = client.get("/bench/floor/table/").content.decode()
    assert page.count("<tr><td>") == 3


@override_settings(ROOT_URLCONF="brm.bench_urls")
def test_the_page_floor_is_signed_in_in_a_layout(client, brm, unit_a):
    StakeholderFactory.create_batch(3, unit=unit_a)
    assert client.get("/bench/floor/page/").status_code == 302  # login_required
    client.force_login(brm)
    page = client.get("/bench/floor/page/").content.decode()
    assert page.count("<tr><td>") == 3
    assert brm.get_username() in page and "csrfmiddlewaretoken" in page


@override_settings(ROOT_URLCONF="brm.bench_urls")
def test_the_api_floor_is_the_drf_list_behind_the_api_authentication(
    client, django_assert_num_queries, brm, unit_a
):
    StakeholderFactory.create_batch(3, unit=unit_a)
    assert client.get("/bench/floor/drf-auth/").status_code == 401  # bearer first: 401
    _token, raw = ApiToken.issue(brm, "bench")
    token = {"authorization": f"Bearer {raw}"}
    # 1 the token with its user joined, 2 its first use recorded (then at most once a minute),
    # 3 COUNT, 4 the page of stakeholders with their unit joined.
    with django_assert_num_queries(4):
        body = client.get("/bench/floor/drf-auth/", headers=token).json()
    assert body["count"] == 3 and body["results"][0]["unit_name"] == unit_a.name
    client.force_login(brm)
    assert client.get("/bench/floor/drf-auth/").json()["count"] == 3


def test_it_never_serves_the_floors_in_production(client):
    assert client.get("/bench/floor/json/").status_code == 404
    assert client.get("/bench/floor/drf-auth/").status_code == 404


def _timing(name: str, queries: int) -> Timing:
    return Timing(name, "brm", "/x/", "page", 200, 10.0, 5.0, queries, 2.0, 1.5)


def test_it_reports_a_page_whose_query_count_grows():
    small = SizeResult("demo", {}, [_timing("units", 5), _timing("reviews", 9)])
    large = SizeResult("+2000 units", {}, [_timing("units", 5), _timing("reviews", 12)])

    assert grown(small, large) == [{"name": "reviews", "role": "brm", "demo": 9, "+2000 units": 12}]
    lines = table([small, large])
    assert len(lines) == 4 and lines[3].startswith("reviews")


def test_a_write_made_once_a_minute_in_one_run_is_not_growth():
    # The API token's last use, recorded at most once a minute, lands in whichever run crosses
    # the minute: the most of the runs has it, the fewest does not. Growth is in every run.
    small = SizeResult(
        "demo",
        {},
        [Timing("API units", "integration", "/u/", "api", 200, 5.0, 4.0, 3, fewest_queries=3)],
    )
    once = Timing("API units", "integration", "/u/", "api", 200, 5.0, 4.0, 4, fewest_queries=3)
    every = Timing("API units", "integration", "/u/", "api", 200, 5.0, 4.0, 5, fewest_queries=4)

    assert grown(small, SizeResult("+2000 units", {}, [once])) == []
    assert grown(small, SizeResult("+2000 units", {}, [every])) == [
        {"name": "API units", "role": "integration", "demo": 3, "+2000 units": 4}
    ]


def test_fewer_queries_at_the_larger_size_is_not_growth():
    small = SizeResult("demo", {}, [_timing("unit page", 19)])
    large = SizeResult("+2000 units", {}, [_timing("unit page", 18)])

    assert grown(small, large) == []


def test_it_refuses_to_empty_a_database_not_named_for_the_bench() -> None:
    # The test database's name follows DATABASE_URL's, which may itself say "bench" (a developer's
    # brm_bench_x): name it plainly here, or the command would wipe and measure the test database.
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "test_brm"
    try:
        with pytest.raises(CommandError, match="Refusing to wipe"):
            call_command("bench_web", "--size", "3")
    finally:
        connection.settings_dict["NAME"] = name


def test_it_asks_for_migrate_on_a_database_not_migrated() -> None:
    # A bench on missing tables failed deep inside (a TRUNCATE of no table); it now says what to
    # run. One applied migration forgotten (rolled back with the test) stands for a new database.
    from django.db.migrations.recorder import MigrationRecorder

    MigrationRecorder.Migration.objects.order_by("-applied").first().delete()
    for command in ("bench_web", "bench_http", "bench_health"):
        with pytest.raises(
            CommandError, match=r"migration\(s\) not applied: run `manage.py migrate`"
        ):
            call_command(command, "--no-wipe")
