"""Prepared statements on PostgreSQL (`brm.settings.prepared_statement_options`, issue 14).

psycopg prepares a query on its connection once it has sent the same SQL more than the
threshold's number of times; PostgreSQL then plans it once instead of on every request. The
whole suite runs with them on (the settings' default); these tests hold the setting's values
and show a repeated query prepared, once, on the real database, with the same answers.
"""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.utils import NotSupportedError

from brm.core.prepared import STALE_PLAN, replan_stale
from brm.settings import prepared_statement_options

POSTGRESQL = "django.db.backends.postgresql"


def _threshold() -> int | None:
    """The test database's `prepare_threshold` (None: prepared statements are off)."""
    value = settings.DATABASES["default"].get("OPTIONS", {}).get("prepare_threshold")
    return None if value is None else int(value)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    monkeypatch.delenv("DATABASE_PREPARE_THRESHOLD", raising=False)
    return monkeypatch


def test_on_by_default_on_postgresql(clean_env: pytest.MonkeyPatch) -> None:
    assert prepared_statement_options(POSTGRESQL) == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


def test_the_threshold_comes_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_PREPARE_THRESHOLD", "0")  # every query prepared at once
    assert prepared_statement_options(POSTGRESQL)["prepare_threshold"] == 0


@pytest.mark.parametrize("off", ["0", "false", "no", "off"])
def test_off_leaves_djangos_defaults(clean_env: pytest.MonkeyPatch, off: str) -> None:
    clean_env.setenv("DATABASE_PREPARED_STATEMENTS", off)
    assert prepared_statement_options(POSTGRESQL) == {}


def test_other_engines_get_nothing(clean_env: pytest.MonkeyPatch) -> None:
    assert prepared_statement_options("django.db.backends.sqlite3") == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_PREPARED_STATEMENTS", "maybe"),
        ("DATABASE_PREPARE_THRESHOLD", "five"),
        ("DATABASE_PREPARE_THRESHOLD", "-1"),
    ],
)
def test_a_bad_value_is_an_error_not_a_default(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        prepared_statement_options(POSTGRESQL)


def test_the_settings_use_it() -> None:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    wanted = prepared_statement_options(settings.DATABASES["default"]["ENGINE"])
    assert {key: options.get(key) for key in wanted} == wanted


@pytest.mark.django_db
def test_a_repeated_query_is_prepared_once_and_answers_as_before() -> None:
    """On: prepared once past the threshold. Off (`DATABASE_PREPARED_STATEMENTS=0`): never."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    connection.ensure_connection()
    threshold = _threshold()
    assert connection.connection.prepare_threshold == threshold
    runs = (threshold or 5) + 3
    answers = []
    with connection.cursor() as cursor:
        for n in range(runs):
            cursor.execute("SELECT %s::int + 1 AS brm_prepared_probe", [n])
            answers.append(cursor.fetchone()[0])
        # The probe's own text is a parameter here, so this query does not count itself.
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%brm_prepared_probe%"],
        )
        prepared = cursor.fetchone()[0]
    assert answers == [n + 1 for n in range(runs)]
    assert prepared == (0 if threshold is None else 1)


@pytest.mark.django_db(transaction=True)
def test_a_statement_made_stale_by_a_migration_elsewhere_is_planned_again() -> None:
    """A column's type changed by another process (a deploy's `migrate`): without
    `brm.core.prepared.replan_stale` PostgreSQL refuses the statement prepared before it on
    this connection; with it, the query answers with the new row."""
    threshold = _threshold()
    if connection.vendor != "postgresql" or threshold is None:
        pytest.skip("prepared statements are off")
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )
    query = "SELECT label FROM brm_prepared_probe WHERE id = %s"

    def read() -> str:
        with connection.cursor() as cursor:
            cursor.execute(query, [1])
            return str(cursor.fetchone()[0])

    kept_close_at = connection.close_at
    try:
        other.execute("CREATE TABLE brm_prepared_probe (id int PRIMARY KEY, label varchar(10))")
        other.execute("INSERT INTO brm_prepared_probe VALUES (1, 'before')")
        connection.ensure_connection()
        assert replan_stale in connection.execute_wrappers
        for _ in range(threshold + 2):
            assert read() == "before"
        other.execute("ALTER TABLE brm_prepared_probe ALTER COLUMN label TYPE varchar(20)")
        other.execute("UPDATE brm_prepared_probe SET label = 'after, longer' WHERE id = 1")

        connection.execute_wrappers.remove(replan_stale)
        try:
            with pytest.raises(NotSupportedError, match=STALE_PLAN):
                read()  # the fault the wrapper is for
        finally:
            connection.execute_wrappers.append(replan_stale)
        assert read() == "after, longer"
        for _ in range(threshold + 2):
            assert read() == "after, longer"  # and prepared again from then on

        assert connection.close_at != 0  # a replanned query keeps its connection

        # Inside a transaction the error stands (the transaction is aborted) and the connection
        # is marked to be replaced when the request ends; the rollback has cleared the prepared
        # statements meanwhile, so the next read is planned afresh.
        other.execute("ALTER TABLE brm_prepared_probe ALTER COLUMN label TYPE varchar(30)")
        with pytest.raises(NotSupportedError, match=STALE_PLAN), transaction.atomic():
            read()
        assert connection.close_at == 0
        assert read() == "after, longer"
    finally:
        connection.close_at = kept_close_at
        other.execute("DROP TABLE IF EXISTS brm_prepared_probe")
        other.close()
