"""Read an uploaded CSV or XLSX file into rows of trimmed text, as real files come.

- CSV: UTF-8 (with or without a byte order mark), else Windows-1252; the separator (`,` or `;`,
  also tab) is sniffed from the header line. Parsed by tablib.
- XLSX: the first sheet through tablib and openpyxl; a date cell becomes an ISO date string,
  a whole-number float (Excel stores every number as a float) becomes "12".
- Every cell is text with surrounding blanks trimmed; header names are matched case-insensitively
  by the importer; wholly blank rows are skipped; an apostrophe our CSV exports put before a
  leading = + - @ (against formula injection) is taken off again, so an export re-imports.

Raises `FileRefused` (one message for the whole file, in the active language) when the file
cannot be read at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import tablib
from django.utils.translation import gettext

# A row number is the one a spreadsheet shows: the header is row 1.
FIRST_DATA_ROW = 2
XLSX_MAGIC = b"PK\x03\x04"
FORMULA_STARTS = {"=", "+", "-", "@"}


class FileRefused(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, no header, unknown encoding)."""


@dataclass(frozen=True)
class Table:
    """A file's header (trimmed, as written) and rows: (spreadsheet row number, cells by header)."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


def decode(data: bytes) -> str:
    """`data` as text: UTF-8 (a leading BOM dropped), else Windows-1252 (what Excel writes)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise FileRefused(gettext("The file is neither UTF-8 nor Windows-1252 text.")) from exc


def cell_text(value: Any) -> str:
    """One cell as trimmed text: dates as YYYY-MM-DD, whole-number floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # Our CSV exports guard a leading = + - @ with an apostrophe (brm.core.htmx.csv_response).
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_table(data: bytes, filename: str = "") -> Table:
    """The rows of an uploaded file (CSV or XLSX, told apart by content, not by name)."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        try:
            dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise FileRefused(gettext("The workbook cannot be read as XLSX.")) from exc
    else:
        text = decode(data)
        if not text.strip():
            raise FileRefused(gettext("The file is empty."))
        try:
            dataset = tablib.Dataset().load(text, format="csv", delimiter=_sniff_delimiter(text))
        except Exception as exc:  # tablib raises csv.Error, or InvalidDimensions on ragged rows
            message = gettext("The file cannot be read as CSV: %(error)s") % {"error": exc}
            raise FileRefused(message) from exc
    headers = [cell_text(h) for h in (dataset.headers or [])]
    if not any(headers):
        raise FileRefused(gettext("The first row must name the columns."))
    rows = []
    for offset, raw in enumerate(dataset):
        cells = [cell_text(v) for v in raw]
        if not any(cells):
            continue
        rows.append((FIRST_DATA_ROW + offset, dict(zip(headers, cells, strict=False))))
    return Table(headers=headers, rows=rows)
