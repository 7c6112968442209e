"""Search every text column of every table for strings: what an erasure must leave behind."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

TEXT_TYPES = ("character varying", "text", "jsonb", "json", "character")


def text_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s) "
            "ORDER BY table_name, ordinal_position",
            [list(TEXT_TYPES)],
        )
        columns: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, []).append(column)
    return columns


def find(strings: Iterable[str]) -> dict[str, int]:
    """{table: rows in which any text column contains any of `strings` (case-insensitive)}."""
    patterns = [f"%{s}%" for s in strings]
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table, columns in text_columns().items():
            joined = ", ".join(f'"{c}"::text' for c in columns)
            cursor.execute(
                f"SELECT count(*) FROM \"{table}\" WHERE concat_ws(' ', {joined}) ILIKE ANY(%s)",
                [patterns],
            )
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
    return found
