"""Database expressions that work on PostgreSQL (production, tests) and SQLite (`make run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DurationField, Func
from django.db.models.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from django.db.models.sql.compiler import _AsSqlType  # the stubs' (sql, params) alias


class Days(Func):
    """An integer column as a duration of that many days, e.g. a unit's review cadence.

    PostgreSQL multiplies by an interval; SQLite stores durations as microseconds, so there the
    number is scaled instead. Django then adds it to a datetime correctly on both.
    """

    output_field = DurationField()

    def as_sql(  # type: ignore[override]  # Func.as_sql's extra keywords (function=, template=) are not used here
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * INTERVAL '1 day')", params

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * 86400000000)", params
