"""Run one import: read the file, check and write every row in ONE transaction, report per row.

`run_import(kind, data, filename, actor=..., dry_run=...)` returns a `Summary`: counts of new,
changed, unchanged and skipped (identical duplicate) rows and the per-row errors
(row number as a spreadsheet shows it, column, message). A dry run does all the work, service
checks included, then rolls back; a real run rolls back as soon as any row has an error, so a
failed import changes nothing. Importing the same file twice: the second run finds every row
unchanged and saves nothing (records keep their version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from brm.core.errors import InputError, StateConflict
from brm.core.validators import check_model
from brm.imports.reading import FileRefused, read_table
from brm.imports.register import KINDS, Kind

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


@dataclass
class RowError:
    """One problem: `row` is the spreadsheet's row number (header = 1, 0 for the whole file)."""

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
    if kind.key not in columns.values():
        wanted = kind.columns[kind.key][0]
        summary.errors.append(RowError(1, wanted, f"The file has no '{wanted}' column."))
        return summary
    summary.total = len(table.rows)
    try:
        with transaction.atomic():
            _run_rows(kind, table.rows, columns, summary, actor, progress)
            if dry_run or summary.errors:
                raise _Rollback
            summary.saved = True
    except _Rollback:
        pass
    return summary


def _run_rows(
    kind: Kind,
    rows: list[tuple[int, dict[str, str]]],
    columns: dict[str, str],
    summary: Summary,
    actor: AnyUser | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    for done, (number, cells) in enumerate(rows, start=1):
        values = {columns[h]: v for h, v in cells.items() if h in columns}
        key = values.get(kind.key, "")
        if progress is not None and (done % 100 == 0 or done == len(rows)):
            progress(done, len(rows))
        if not key:
            summary.errors.append(RowError(number, kind.key, f"The {kind.key} is missing."))
            continue
        earlier = seen.get(key.lower())
        if earlier is not None:
            if earlier[1] == values:
                summary.duplicates += 1
            else:
                message = f"Row {earlier[0]} has the same {kind.key} with other values."
                summary.errors.append(RowError(number, kind.key, message))
            continue
        seen[key.lower()] = (number, values)
        _run_row(kind, number, values, summary, actor)


def _run_row(
    kind: Kind,
    number: int,
    values: dict[str, str],
    summary: Summary,
    actor: AnyUser | None,
) -> None:
    try:
        # A savepoint per row, so a refused write leaves the next rows' checks meaningful.
        with transaction.atomic():
            record, changed = kind.apply(values)
            if not changed:
                summary.unchanged += 1
                return
            is_new = record.pk is None
            check_model(record)
            kind.save(record, actor)
    except InputError as exc:
        summary.errors.append(RowError(number, exc.field, exc.message))
        return
    except ValidationError as exc:
        for column, message in _messages(exc):
            summary.errors.append(RowError(number, column, message))
        return
    except StateConflict as exc:
        summary.errors.append(RowError(number, "", str(exc)))
        return
    if is_new:
        summary.new += 1
    else:
        summary.changed += 1
