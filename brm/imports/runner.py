"""Run one import: read the file, check and write every row in ONE transaction, report per row.

`run_import(kind, data, filename, actor=..., dry_run=...)` returns a `Summary`: counts of new,
changed, unchanged and skipped (identical duplicate) rows and the per-row errors
(row number as a spreadsheet shows it, column, message). Rows go in chunks of `CHUNK`: a kind
written row by row saves each changed row through its service in a savepoint (a dry run too,
then rolls back); a kind written in bulk (stakeholders) checks the chunk's rows in Python
against one lookup and writes them with one bulk service call (a dry run checks and counts the
same, permission included, and writes nothing). A real run rolls back as soon as any row has an
error, or PostgreSQL refuses a write, so a failed import changes nothing. Importing the same
file twice: the second run finds every row unchanged and saves nothing (versions unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext

from brm.core.errors import InputError, StateConflict
from brm.core.validators import check_model
from brm.imports.reading import FileRefused, read_table
from brm.imports.register import KINDS, Kind

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


@dataclass
class RowError:
    """One problem: `row` is the spreadsheet's row number (header = 1, 0 for the whole file);
    `column` the canonical column (or model field) it is about, "" for none; `message` in the
    language active while the import ran (the requester's, `brm.imports.jobs`)."""

    row: int
    column: str
    message: str


@dataclass
class Summary:
    """What an import found (dry run) or did (real run). Counts are rows; `ok` means no errors."""

    kind: str
    dry_run: bool
    total: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


class _Rollback(Exception):
    pass


def _canonical(kind: Kind, headers: list[str]) -> dict[str, str]:
    """File header -> canonical column, for the headers this kind reads (others are ignored)."""
    found: dict[str, str] = {}
    for header in headers:
        for column, spellings in kind.columns.items():
            if header.strip().lower() in spellings and column not in found.values():
                found[header] = column
    return found


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    return [(f, m) for f, ms in exc.message_dict.items() for m in ms]


def run_import(
    kind_name: str,
    data: bytes,
    filename: str = "",
    *,
    actor: AnyUser | None,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Import `data` (CSV or XLSX bytes) as `kind_name` ("units" or "stakeholders").

    `actor` is who imports (None: the system); each write goes through the app's service, which
    checks they may make it. `progress(done, total)` is called every 100 rows and at the end.
    Raises nothing for bad input: every problem is a `RowError` in the summary.
    """
    kind = KINDS[kind_name]
    summary = Summary(kind=kind_name, dry_run=dry_run)
    try:
        table = read_table(data, filename)
    except FileRefused as exc:
        summary.errors.append(RowError(0, "", str(exc)))
        return summary
    columns = _canonical(kind, table.headers)
    for key in kind.key:
        if key not in columns.values():
            wanted = kind.columns[key][0]
            message = gettext("The file has no '%(column)s' column.") % {"column": wanted}
            summary.errors.append(RowError(1, wanted, message))
    if summary.errors:
        return summary
    summary.total = len(table.rows)
    try:
        with transaction.atomic():
            _run_rows(kind, table.rows, columns, summary, actor, progress, dry_run)
            if dry_run or summary.errors:
                raise _Rollback
            summary.saved = True
    except _Rollback:
        pass
    except DatabaseError as exc:
        # A rule only PostgreSQL knows (a unique index two rows hit at once): nothing was kept.
        summary.saved = False
        message = gettext("The database refused the import: %(error)s") % {"error": exc}
        summary.errors.append(RowError(0, "", message))
    return summary


# Rows read, checked and (for a kind written in chunks) written at a time: large enough that a
# chunk's two lookups and its bulk statements are cheap per row, small enough to keep memory flat.
CHUNK = 2000
# How often progress is reported, in rows.
PROGRESS_EVERY = 100


def _run_rows(
    kind: Kind,
    rows: list[tuple[int, dict[str, str]]],
    columns: dict[str, str],
    summary: Summary,
    actor: AnyUser | None,
    progress: Callable[[int, int], None] | None,
    dry_run: bool,
) -> None:
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    total = len(rows)
    for first in range(0, total, CHUNK):
        fresh: list[tuple[int, dict[str, str]]] = []
        for number, cells in rows[first : first + CHUNK]:
            values = {columns[h]: v for h, v in cells.items() if h in columns}
            key = kind.key_of(values)
            if not key:
                missing = next(c for c in kind.key if not values.get(c))
                message = gettext("The '%(column)s' cell is blank; every row needs it.") % {
                    "column": kind.header(missing)
                }
                summary.errors.append(RowError(number, missing, message))
                continue
            earlier = seen.get(key)
            if earlier is not None:
                if earlier[1] == values:
                    summary.duplicates += 1
                else:
                    names = ", ".join(kind.header(column) for column in kind.key)
                    message = gettext(
                        "Row %(row)s has the same key (%(columns)s) with other values."
                    ) % {"row": earlier[0], "columns": names}
                    summary.errors.append(RowError(number, kind.key[0], message))
                continue
            seen[key] = (number, values)
            fresh.append((number, values))
        if kind.save_many is not None:
            _run_chunk(kind, fresh, summary, actor, dry_run)
        else:
            for done, (number, values) in enumerate(fresh, start=1):
                _run_row(kind, number, values, summary, actor)
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(min(first + done, total), total)
        if progress is not None:
            progress(min(first + CHUNK, total), total)


def _record_error(summary: Summary, number: int, exc: Exception) -> None:
    if isinstance(exc, InputError):
        summary.errors.append(RowError(number, exc.field, exc.message))
    elif isinstance(exc, ValidationError):
        for column, message in _messages(exc):
            summary.errors.append(RowError(number, column, message))
    else:
        summary.errors.append(RowError(number, "", str(exc)))


def _cheap_checks(record: models.Model) -> None:
    """`check_model` without the checks that cost a query per row: related records exist (the
    chunk's lookup just read them), unique fields (the chunk was matched by key; PostgreSQL still
    refuses a clash, which rolls the import back) and check constraints (each repeats a field
    validator that does run, e.g. influence 1-5)."""
    fields = record._meta.concrete_fields
    related = {f.name for f in fields if f.is_relation}
    check_model(
        record,
        exclude=related,
        unique=False,
        constraints_exclude={f.name for f in fields},
    )


def _run_chunk(
    kind: Kind,
    fresh: list[tuple[int, dict[str, str]]],
    summary: Summary,
    actor: AnyUser | None,
    dry_run: bool,
) -> None:
    """Check a chunk's rows in Python against what one lookup read, then write the new and
    changed ones through the kind's bulk service; a dry run or a file with errors writes none."""
    assert kind.prepare is not None and kind.save_many is not None
    context = kind.prepare([values for _, values in fresh], not dry_run)
    pending: list[Any] = []
    for number, values in fresh:
        try:
            record, changed = kind.apply(values, context)
            if not changed:
                summary.unchanged += 1
                continue
            _cheap_checks(record)
            if kind.check is not None:
                kind.check(record, context, actor)
        except (InputError, ValidationError, StateConflict) as exc:
            _record_error(summary, number, exc)
            continue
        if record.pk is None:
            summary.new += 1
        else:
            summary.changed += 1
        pending.append(record)
    if pending and not dry_run and not summary.errors:
        kind.save_many(pending, actor)


def _run_row(
    kind: Kind,
    number: int,
    values: dict[str, str],
    summary: Summary,
    actor: AnyUser | None,
) -> None:
    assert kind.save is not None
    try:
        # A savepoint per row, so a refused write leaves the next rows' checks meaningful.
        with transaction.atomic():
            record, changed = kind.apply(values, None)
            if not changed:
                summary.unchanged += 1
                return
            # A model record is new until saved; a link row (a consumer) is "new" when it adds.
            is_new = (
                record._state.adding
                if isinstance(record, models.Model)
                else bool(getattr(record, "consumes_it", True))
            )
            if isinstance(record, models.Model):
                check_model(record)
            kind.save(record, actor)
    except (InputError, ValidationError, StateConflict) as exc:
        _record_error(summary, number, exc)
        return
    if is_new:
        summary.new += 1
    else:
        summary.changed += 1
