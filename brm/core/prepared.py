"""Prepared statements that outlive a schema change (issue 14; `brm.settings.
prepared_statement_options` turns prepared statements on).

A statement PostgreSQL has prepared keeps the shape of its result. When a migration run
elsewhere (another process, during a deploy) changes the type of a column the statement reads
(a `CharField` given a longer `max_length`, say), PostgreSQL refuses the statement from then on
("cached plan must not change result type", SQLSTATE 0A000, raised while it revalidates the
plan, before the statement does anything), on every connection that prepared it, until the
connection goes. psycopg's rollback clears its prepared statements, but the pages read in
autocommit: each web process would fail that query on every request for up to `CONN_MAX_AGE`
seconds.

`replan_stale`, the outermost execute wrapper of every PostgreSQL connection (`install`, on
Django's `connection_created`), catches that error:

- outside a transaction it has the connection forget its prepared statements (`DEALLOCATE ALL`,
  which psycopg also reads as "forget your own list") and runs the query once more, now planned
  afresh (nothing ran the first time, so a write is not done twice);
- inside a transaction the error stands (the transaction is aborted);
- either way, if the connection may still hold the stale statement (the error inside a
  transaction that a savepoint then caught, or a retry that failed too), the connection is
  marked to close once the request or task ends (`close_at`, what `CONN_MAX_AGE` sets), so the
  next one opens a fresh one whatever state psycopg's own list is in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import DatabaseError, NotSupportedError

STALE_PLAN = "cached plan must not change result type"
_FEATURE_NOT_SUPPORTED = "0A000"


def is_stale_plan(exc: BaseException) -> bool:
    """Whether `exc` (Django's wrapper of a psycopg error) is PostgreSQL refusing a prepared
    statement whose result changed shape: SQLSTATE 0A000 raised while revalidating a cached plan
    (by its source function, which is not translated, or by its English message)."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) != _FEATURE_NOT_SUPPORTED:
        return False
    source = getattr(getattr(cause, "diag", None), "source_function", None)
    return source == "RevalidateCachedQuery" or STALE_PLAN in str(exc)


def _replace_after_this_request(wrapper: BaseDatabaseWrapper) -> None:
    # `close_if_unusable_or_obsolete` (run when a request or a task ends) closes it.
    wrapper.close_at = 0


def replan_stale(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Django's execute wrapper signature (`connection.execute_wrapper`): runs `execute`; on
    PostgreSQL's stale-plan error (`is_stale_plan`) outside a transaction, drops the
    connection's prepared statements and runs it once more. Raises any other error as it came;
    raises the stale-plan error inside a transaction, or the retry's error, after marking the
    connection to be replaced when the request ends."""
    if many and not isinstance(params, list | tuple):
        params = list(params)  # a generator would be spent by the first attempt
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as exc:
        if not is_stale_plan(exc):
            raise
        wrapper: BaseDatabaseWrapper = context["connection"]
        if wrapper.in_atomic_block or not wrapper.get_autocommit():
            _replace_after_this_request(wrapper)
            raise
    try:
        with wrapper.wrap_database_errors:
            wrapper.connection.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)
    except DatabaseError:
        _replace_after_this_request(wrapper)
        raise


def install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: puts `replan_stale` first (outermost) among a new
    PostgreSQL connection's execute wrappers, once (Django's `execute_wrapper()` blocks add and
    remove theirs at the end)."""
    if connection.vendor == "postgresql" and replan_stale not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, replan_stale)
