"""Queries compiled once per shape and run again with new values (issue 14).

Building and compiling an ORM query costs 1-2.5 ms of CPU on every request (cloning the
QuerySet per `filter`/`annotate`, resolving every expression, writing the SQL), often more than
the database takes to answer it. For a query whose SQL is the same on every request and whose
parameters differ only by the values passed in (the date, the time), that work is done once per
process here: the query stays written once, in the ORM, and this module replays its compiled
SQL with the new values.

How a statement is learned (`_learn_rows`): the query is built three times, with the caller's
values and with two probes that move every value by a distance only it takes, differently in
each (`_moved`: forwards by days and seconds, then backwards by days and microseconds; numbers
by a whole step, then a fraction; text with a suffix, then its case swapped). The SQL text must
be the same each time, and each parameter must be the same each time (a constant of the query)
or be exactly one passed value, or that value plus a fixed offset (`now - 7 days`; datetimes in
the same time zone), each time. Otherwise the query's shape depends on its values, or on a
value rounded (to a second, a week, a month), moved in local wall-clock time, picked by `max`
or lower-cased, and it is never replayed: it is built through the ORM each time, as before.
Rows are converted as the ORM converts them (the compiler's converters, an aggregate's
included) and named as `.values()` names them.

What the key must hold: everything besides the passed values that can change the SQL. The
callers give a name and what their query depends on (such as the reader's role); the active
time zone and language are added here. With `settings.BRM_VERIFY_STATEMENTS` (on under the
tests) every call also builds the query through the ORM and fails loudly if its SQL, its
parameters or its column names differ from the replay's: the whole suite proves each key holds.
`settings.BRM_STATEMENTS` off builds every query through the ORM (no replay at all), the API
lists' relation pairs included (`brm.core.api_output._pair_statement`, which keeps one
statement per relation with the page's ids as one array parameter, a shape this module's
values cannot take).

Only PostgreSQL replays (the embedded SQLite run builds every query, as before): its driver
returns dates, times and decimals as the ORM gives them.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, Prefetch, QuerySet, Value, prefetch_related_objects
from django.db.models.query import ModelIterable, ValuesIterable
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.where import WhereNode
from django.utils import timezone, translation

from brm.core.roles import reads_all_units, role_of

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

# Learned statements per process, least recently used first; bounded so a key that carries a
# page number or a filter value cannot grow it without end.
MAX_STATEMENTS = 256


class StatementMismatch(AssertionError):
    """Under `BRM_VERIFY_STATEMENTS`: a replayed statement's SQL, parameters or column names
    differ from what the ORM builds for the same call (its key misses something the SQL depends
    on), or a query given to be replayed depends on its values in a way no offset explains."""


@dataclass(frozen=True)
class _Statement:
    """A learned query: its SQL and database alias, where each parameter comes from (`slots`:
    `_slots`' triples), the result's column `names` and how to convert each row."""

    sql: str
    using: str
    slots: tuple[tuple[str, Any, Any], ...]
    names: tuple[str, ...]
    convert: Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        return _params(self.slots, values)


def _params(slots: tuple[tuple[str, Any, Any], ...], values: Mapping[str, Any]) -> list[Any]:
    """A statement's parameters for `values`: each slot a constant, a value, or a value moved
    by its fixed offset."""
    return [
        ref if kind == "constant" else values[ref] if offset is None else values[ref] + offset
        for kind, ref, offset in slots
    ]


_UNCACHEABLE = object()
_NO_OFFSET = object()
_lock = threading.Lock()
_statements: OrderedDict[Hashable, Any] = OrderedDict()


def _moved(value: Any, step: int, probe: int) -> Any:
    """`value` moved by a distance only it takes (`step`, its place among the values), in one of
    two probes that move every value differently: forwards by 401 days a step plus one, whole
    seconds, whole numbers; then backwards by 389 days a step plus three, microseconds, a
    fraction, the text's case swapped. A value derived from it by rounding (to its day, week,
    month or year, to whole seconds or to places), by case, or by choosing between values
    (`max`) then fails to move by the same offset in both, and is never taken for one."""
    if isinstance(value, bool) or value is None:
        raise TypeError("A statement's values are dates, times, numbers or text, not bool/None")
    forwards = probe == 1
    if isinstance(value, datetime):
        if forwards:
            return value + timedelta(days=401 * step + 1, seconds=step)
        return value - timedelta(days=389 * step + 3, microseconds=1001 * step)
    if isinstance(value, date):
        return value + timedelta(days=401 * step + 1 if forwards else -(389 * step + 3))
    if isinstance(value, int):
        return value + 7919 * step if forwards else value - 7907 * step
    if isinstance(value, Decimal):
        return value + 7919 * step if forwards else value - Decimal("0.3701") * step
    if isinstance(value, float):
        return value + 7919 * step if forwards else value - 0.3701 * step
    if isinstance(value, str):
        return f"{value}\x1f{step}" if forwards else f"{value.swapcase()}\x1e{step}Z"
    raise TypeError(f"A statement's values are dates, times, numbers or text, not {type(value)}")


def _offset(param: Any, value: Any) -> Any:
    """`param - value` when both are the same kind of date, time or number (datetimes in the
    same time zone: a value shifted to another zone and moved there keeps its wall-clock time,
    not its offset, across summer time), None when they are equal, else `_NO_OFFSET`."""
    if type(param) is not type(value):
        return _NO_OFFSET
    if isinstance(value, str):
        return None if param == value else _NO_OFFSET
    if isinstance(value, datetime) and param.tzinfo is not value.tzinfo:
        return _NO_OFFSET
    difference = param - value
    return difference or None


def _names(qs: QuerySet[Any, Any]) -> tuple[str, ...]:
    """The keys of a `.values()` query's dicts, in the order of its columns (`ValuesIterable`'s
    rule: the order `.values()` named them in, where the query keeps it)."""
    query = qs.query
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _compiled_rows(qs: QuerySet[Any, Any]) -> tuple[str, tuple[Any, ...], SQLCompiler]:
    """The SQL and parameters of a `.values()` query, and its compiler (holding the converters).

    Raises EmptyResultSet when the ORM knows the answer is empty without asking the database.
    """
    if not issubclass(qs._iterable_class, ValuesIterable):  # noqa: SLF001 - how .values() marks it
        raise TypeError("rows() replays .values() queries: give the builder's .values(...)")
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _row_converter(compiler: SQLCompiler) -> Callable[[list[tuple[Any, ...]]], list[Any]]:
    """What the ORM does to each fetched row of this compiled query (`results_iter`: the
    columns past `col_count` dropped, then each column's converters), with the connection of the
    thread that runs it rather than the compiler's."""
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = list(compiler.get_converters(fields).items())
    width, using = compiler.col_count, compiler.using or DEFAULT_DB_ALIAS

    def convert(rows: list[tuple[Any, ...]]) -> list[Any]:
        if not converters:
            return [row[:width] for row in rows]
        connection, out = connections[using], []
        for fetched in rows:
            row = list(fetched[:width])
            for pos, (convs, expression) in converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
            out.append(row)
        return out

    return convert


def _slots(
    builds: list[tuple[Any, ...]], values: list[Mapping[str, Any]]
) -> tuple[tuple[str, Any, Any], ...] | None:
    """Where each parameter comes from, given the parameters of each build and the values it
    was built with (the caller's first, then each probe's): ("constant", value, None) when it is
    the same in every build, or ("value", name, offset) for exactly one passed value it equals,
    or differs from by the same offset (`now - 7 days`; None for the value itself), in every
    build. None if a parameter is neither."""
    slots: list[tuple[str, Any, Any]] = []
    for params in zip(*builds, strict=True):
        first = params[0]
        if all(p == first and type(p) is type(first) for p in params[1:]):
            slots.append(("constant", first, None))
            continue
        sources = []
        for name in values[0]:
            offset = _offset(first, values[0][name])
            if offset is not _NO_OFFSET and all(
                _offset(p, v[name]) == offset for p, v in zip(params[1:], values[1:], strict=True)
            ):
                sources.append((name, offset))
        if len(sources) != 1:
            return None
        slots.append(("value", *sources[0]))
    return tuple(slots)


def _key(key: Hashable) -> Hashable:
    return (key, timezone.get_current_timezone_name(), translation.get_language())


def _remember(key: Hashable, statement: Any) -> None:
    with _lock:
        _statements[key] = statement
        _statements.move_to_end(key)
        while len(_statements) > MAX_STATEMENTS:
            _statements.popitem(last=False)


def _recall(key: Hashable) -> Any:
    with _lock:
        statement = _statements.get(key)
        if statement is not None:
            _statements.move_to_end(key)
        return statement


def _run(statement: _Statement, values: Mapping[str, Any]) -> list[Any]:
    with connections[statement.using].cursor() as cursor:
        cursor.execute(statement.sql, statement.params(values))
        return statement.convert(cursor.fetchall())


def _known_empty(replayed: list[Any]) -> list[Any]:
    """Under verification, a call the ORM answers as empty without asking the database (an IN of
    nothing): the replay must find nothing either."""
    if replayed:
        raise StatementMismatch("The ORM knows this call is empty; the replay found rows")
    return []


def _verify(
    statement: _Statement | _ModelStatement,
    sql: str,
    params: tuple[Any, ...],
    values: Mapping[str, Any],
    names: tuple[str, ...],
) -> None:
    if sql != statement.sql or list(params) != statement.params(values) or names != statement.names:
        raise StatementMismatch(
            f"A replayed statement differs from the ORM's query: its key misses something.\n"
            f"replayed: {statement.sql} {statement.params(values)}\nbuilt: {sql} {list(params)}"
        )


def rows(
    key: Hashable, build: Callable[..., QuerySet[Any, Any]], /, **values: Any
) -> list[dict[str, Any]]:
    """`list(build(**values))` for a `.values(...)` query, as dicts: compiled once per `key` and
    shape, then replayed with `values` (see the module's doc for when it is and is not).

    `key`: hashable, naming the query and whatever besides `values` its SQL depends on (the
    reader's role, a page number); `values`: dates, datetimes, numbers or text, each passed by
    `build` into the query as it is or moved by a fixed offset (a value rounded inside `build`
    makes the query never replayed: round it outside and pass it). Raises TypeError for another
    kind of value or a non-values query; StatementMismatch under `BRM_VERIFY_STATEMENTS` (the
    tests) when the key or the values do not explain the SQL.
    """
    return _replay("rows", key, build, values, _learn_rows, _compiled_rows, _names, _run_dicts)


def _replay(
    kind: str,
    key: Hashable,
    build: Callable[..., QuerySet[Any, Any]],
    values: Mapping[str, Any],
    learn: Callable[..., list[Any]],
    compiled: Callable[[QuerySet[Any, Any]], tuple[str, tuple[Any, ...], SQLCompiler]],
    names: Callable[[QuerySet[Any, Any]], tuple[str, ...]],
    run: Callable[[Any, Mapping[str, Any]], list[Any]],
) -> list[Any]:
    """What `rows` and `instances` share: built through the ORM when replays are off or the
    key is known never to replay; learned on the first call (`learn`); else run with `values`
    (`run`), after checking under `BRM_VERIFY_STATEMENTS` that the ORM builds the same SQL,
    parameters and column names (`compiled`, `names`)."""
    if not settings.BRM_STATEMENTS:
        return list(build(**values))
    full_key = _key((kind, key))
    statement = _recall(full_key)
    if statement is None:
        return learn(full_key, build, values)
    if statement is _UNCACHEABLE:
        return list(build(**values))
    if settings.BRM_VERIFY_STATEMENTS:
        qs = build(**values)
        try:
            sql, params, _compiler = compiled(qs)
        except EmptyResultSet:  # the ORM knows it is empty without asking: so must the replay be
            return _known_empty(run(statement, values))
        _verify(statement, sql, params, values, names(qs))
    return run(statement, values)


def _run_dicts(statement: _Statement, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A learned `.values()` statement's rows for `values`, as dicts named as `.values()` names
    them."""
    names = statement.names
    return [dict(zip(names, row, strict=True)) for row in _run(statement, values)]


def _learned(
    full_key: Hashable,
    build: Callable[..., QuerySet[Any, Any]],
    values: Mapping[str, Any],
    compiled: Callable[[QuerySet[Any, Any]], tuple[str, tuple[Any, ...], SQLCompiler]],
) -> tuple[QuerySet[Any, Any], tuple[str, tuple[tuple[str, Any, Any], ...], SQLCompiler] | None]:
    """Learning, shared by `rows` and `instances`: the query built with `values`, and its SQL,
    slots (`_slots`) and compiler when the two probes show its shape does not depend on the
    values (None otherwise, or on another database than PostgreSQL, or when the ORM knows it is
    empty; the key is then remembered as never to be replayed). `compiled` compiles one build."""
    qs = build(**values)
    if connections[qs.db].vendor != "postgresql":
        _remember(full_key, _UNCACHEABLE)
        return qs, None
    probes = [
        {name: _moved(value, step, probe) for step, (name, value) in enumerate(values.items(), 1)}
        for probe in (1, 2)
    ]
    try:
        sql, params, compiler = compiled(qs)
        probed = [compiled(build(**probe))[:2] for probe in probes]
    except EmptyResultSet:
        _remember(full_key, _UNCACHEABLE)
        return qs, None
    same_sql = all(probe_sql == sql for probe_sql, _params in probed)
    builds = [params, *(probe_params for _sql, probe_params in probed)]
    slots = _slots(builds, [values, *probes]) if same_sql else None
    if slots is None:
        if settings.BRM_VERIFY_STATEMENTS:
            raise StatementMismatch(f"{full_key}: the query's shape depends on its values")
        _remember(full_key, _UNCACHEABLE)
        return qs, None
    return qs, (sql, slots, compiler)


def _learn_rows(
    full_key: Hashable,
    build: Callable[..., QuerySet[Any, Any]],
    values: Mapping[str, Any],
) -> list[dict[str, Any]]:
    qs, learned = _learned(full_key, build, values, _compiled_rows)
    if learned is None:
        return list(qs)
    sql, slots, compiler = learned
    statement = _Statement(sql, qs.db, slots, _names(qs), _row_converter(compiler))
    _remember(full_key, statement)
    return _run_dicts(statement, values)


def aggregate(
    key: Hashable,
    build: Callable[..., tuple[QuerySet[Any, Any], dict[str, Any]]],
    /,
    **values: Any,
) -> dict[str, Any]:
    """`qs.aggregate(**aggregates)` where `build(**values)` gives `(qs, aggregates)`, as `rows`
    learns and replays it: the same one row (COUNT 0, SUM None over no rows), written as a
    values query whose only grouping is a constant, so there is no GROUP BY and one row always.
    """

    def as_rows(**inner: Any) -> QuerySet[Any, dict[str, Any]]:
        qs, aggregates = build(**inner)
        query = qs.query
        if query.distinct or query.is_sliced or query.combinator or query.group_by is not None:
            # .aggregate() counts such a query from a subquery; the rewrite would not.
            raise TypeError("aggregate() replays plain filtered queries, not this one")
        if any(getattr(a, "contains_aggregate", False) for a in query.annotations.values()):
            raise TypeError("aggregate() replays plain filtered queries, not annotated totals")
        one_row: QuerySet[Any, dict[str, Any]] = (
            qs.order_by()
            .annotate(_whole=Value(1))
            .values("_whole")
            .annotate(**aggregates)
            .values(*aggregates)
        )
        return one_row

    found = rows(("aggregate", key), as_rows, **values)
    if not found:
        # Known empty before asking the database (an IN of nothing): .aggregate() still
        # answers, with each aggregate's value over no rows.
        qs, aggregates = build(**values)
        return qs.aggregate(**aggregates)
    (row,) = found
    return row


@dataclass(frozen=True)
class _ModelStatement:
    """A learned model query: its SQL, where each parameter comes from, and the compiler as it
    stood after compiling (`select`, `klass_info`, `annotation_col_map`: what Django's own
    `ModelIterable` reads to build each instance and its joined objects)."""

    sql: str
    using: str
    slots: tuple[tuple[str, Any, Any], ...]
    compiler: SQLCompiler
    model: type[Model]
    fetch_mode: Any
    prefetch: tuple[Any, ...]
    names: tuple[str, ...] = ()  # `_verify` checks a values query's names; instances have none

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        return _params(self.slots, values)


class _Compiled:
    """Stands for a query whose compiler is set up already: Django's `ModelIterable` asks a
    queryset's query for its compiler and reads nothing else of it."""

    def __init__(self, compiler: SQLCompiler) -> None:
        self.compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> SQLCompiler:
        return self.compiler


def _model_compiled(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...], SQLCompiler]:
    """The SQL, parameters and set-up compiler of a plain model query (instances, not values).

    Raises TypeError for what a replay could not reproduce: a `.values()` query, one made by a
    related manager (its known related objects), a queryset class that reads its rows its own
    way, or a `Prefetch` with a queryset of its own (built with the first call's values or
    reader, which the replay's check of the main SQL would not see; name the relation instead).
    """
    if qs._iterable_class is not ModelIterable or getattr(qs, "_known_related_objects", None):
        raise TypeError("instances() replays plain model queries: not .values() or a manager's")
    kind = type(qs)
    if kind._fetch_all is not QuerySet._fetch_all or kind.__iter__ is not QuerySet.__iter__:
        raise TypeError(f"instances() cannot replay {kind.__name__}: it reads rows its own way")
    lookups = getattr(qs, "_prefetch_related_lookups", ())
    if any(isinstance(lookup, Prefetch) and lookup.queryset is not None for lookup in lookups):
        raise TypeError("instances() replays prefetches by name, not a Prefetch's own queryset")
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _run_instances(statement: _ModelStatement, values: Mapping[str, Any]) -> list[Any]:
    """What `list(qs)` gives for the learned query with `values`: Django's `ModelIterable` over a
    copy of the learned compiler that answers with the SQL and the new parameters (on this
    thread's connection), then the query's `prefetch_related` lookups."""
    compiler = copy.copy(statement.compiler)
    compiler.connection = connections[statement.using]
    sql, params = statement.sql, tuple(statement.params(values))
    compiler.as_sql = lambda *args, **kwargs: (sql, params)  # type: ignore[method-assign]
    qs: QuerySet[Any] = QuerySet(
        model=statement.model,
        query=_Compiled(compiler),  # type: ignore[arg-type]
        using=statement.using,
    )
    qs._fetch_mode = statement.fetch_mode  # type: ignore[attr-defined]  # noqa: SLF001
    found: list[Any] = list(ModelIterable(qs))
    if statement.prefetch:
        prefetch_related_objects(found, *statement.prefetch)
    return found


def instances(key: Hashable, build: Callable[..., QuerySet[Any]], /, **values: Any) -> list[Any]:
    """`list(build(**values))` for a model query (instances with their `select_related` objects,
    annotations and `prefetch_related` lookups), learned and replayed as `rows` does: compiled
    once per `key`, then run with new `values` (the same rules for keys and values, the same
    check under `BRM_VERIFY_STATEMENTS`). Raises TypeError for a `.values()` query or one
    made by a related manager (its known related objects are not replayed)."""
    learn, run = _learn_instances, _run_instances
    return _replay("instances", key, build, values, learn, _model_compiled, _no_names, run)


def _no_names(qs: QuerySet[Any, Any]) -> tuple[str, ...]:
    return ()  # instances have no column names to check: their SQL and parameters are checked


def _learn_instances(
    full_key: Hashable, build: Callable[..., QuerySet[Any]], values: Mapping[str, Any]
) -> list[Any]:
    qs, learned = _learned(full_key, build, values, _model_compiled)
    if learned is None:
        return list(qs)
    sql, slots, compiler = learned
    # The kept compiler needs its columns and how to build each row, not the first call's
    # values (a session key, a token's key id) or its thread's connection: each replay copies it
    # and gives the copy its own.
    compiler.connection = None  # type: ignore[assignment]
    for part in ("where", "having", "qualify"):
        setattr(compiler, part, None)
    compiler.query = compiler.query.chain()
    compiler.query.where = WhereNode()
    statement = _ModelStatement(
        sql,
        qs.db,
        slots,
        compiler,
        qs.model,
        qs._fetch_mode,  # type: ignore[attr-defined]  # noqa: SLF001
        tuple(qs._prefetch_related_lookups),  # type: ignore[attr-defined]  # noqa: SLF001
    )
    _remember(full_key, statement)
    return _run_instances(statement, values)


def forget() -> None:
    """Drop every learned statement (tests that change what a key cannot see, e.g. a schema)."""
    with _lock:
        _statements.clear()


def rows_for(
    user: AnyUser,
    key: Hashable,
    build: Callable[..., QuerySet[Any, Any]],
    /,
    **values: Any,
) -> list[dict[str, Any]]:
    """`rows` for a reader of every unit (`reads_all_units`; keyed by their role too, so an
    executive's query is never replayed for an administrator), whose scope adds nothing to the
    SQL; built through the ORM for anyone else, whose SQL holds their own unit or user."""
    if reads_all_units(user):
        return rows((role_of(user), key), build, **values)
    return list(build(**values))


def aggregate_for(
    user: AnyUser,
    key: Hashable,
    build: Callable[..., tuple[QuerySet[Any, Any], dict[str, Any]]],
    /,
    **values: Any,
) -> dict[str, Any]:
    """`aggregate` for a reader of every unit (as `rows_for`); the ORM's `aggregate` otherwise."""
    if reads_all_units(user):
        return aggregate((role_of(user), key), build, **values)
    qs, aggregates = build(**values)
    return qs.aggregate(**aggregates)
