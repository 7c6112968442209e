"""Database expressions that work on PostgreSQL (production, tests) and SQLite (`make run`)."""

from __future__ import annotations

from django.db.models import DurationField, Func


class Days(Func):
    """An integer column as a duration of that many days, e.g. a unit's review cadence.

    PostgreSQL multiplies by an interval; SQLite stores durations as microseconds, so there the
    number is scaled instead. Django then adds it to a datetime correctly on both.
    """

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * INTERVAL '1 day')", params

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * 86400000000)", params
