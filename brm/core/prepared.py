"""Prepared statements that outlive a schema change (issue 14; `brm.settings.
prepared_statement_options` turns prepared statements on).

A statement PostgreSQL has prepared keeps the shape of its result. When a migration run
elsewhere (another process, during a deploy) changes the type of a column the statement reads
(a `CharField` given a longer `max_length`, say), PostgreSQL refuses the statement from then on
with "cached plan must not change result type" (SQLSTATE 0A000), on every connection that
prepared it, until the connection goes. A failed transaction clears psycopg's prepared
statements (its rollback does), but the pages read in autocommit: each web process would fail
that query on every request for up to `CONN_MAX_AGE` seconds.

`replan_stale`, an execute wrapper on every PostgreSQL connection (`install`, on Django's
`connection_created`), catches that one error outside a transaction, has the connection forget
its prepared statements (`DEALLOCATE ALL`, which psycopg also reads as "forget your own list") and
runs the query once more, now planned afresh. Inside a transaction the error stands: the
transaction is already aborted, and its rollback clears the statements for the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import NotSupportedError

STALE_PLAN = "cached plan must not change result type"


def replan_stale(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Django's execute wrapper signature (`connection.execute_wrapper`): runs `execute`; on
    PostgreSQL's stale-plan error outside a transaction, drops the connection's prepared
    statements and runs it once more. Any other error, or that one inside a transaction, is
    raised as it came."""
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as exc:
        wrapper: BaseDatabaseWrapper = context["connection"]
        if STALE_PLAN not in str(exc) or wrapper.in_atomic_block or not wrapper.get_autocommit():
            raise
        wrapper.connection.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


def install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: adds `replan_stale` to a new PostgreSQL connection's
    execute wrappers, once."""
    if connection.vendor == "postgresql" and replan_stale not in connection.execute_wrappers:
        connection.execute_wrappers.append(replan_stale)
