"""Text search the apps share: PostgreSQL full-text search, a plain `icontains` on SQLite.

Each business app exports a search selector (``complaints.selectors.search_complaints(user,
text, limit=...)``) that scopes its rows with its own access queryset and names the fields a
user may search; this module only turns the text into one query. The global search page on the
project floor (`brm.search`) asks every app and shows the groups.

On PostgreSQL the text is read with ``websearch_to_tsquery`` (quoted phrases, ``or``, ``-word``)
against a weighted `SearchVector` of the given fields, ranked by `SearchRank`; a row whose
title fields contain the text as typed also matches (so a live search finds "fin" in "Finance"
before the word is complete). On SQLite (``make run``) every word must occur in one of the
fields (``icontains``). Either way it is ONE query per call: the rows (at most `limit`) and the
total count together, through a window count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, Model, Q, QuerySet, Window

MAX_QUERY_LENGTH = 200  # characters; a longer text is cut (a search box, not a document)
MIN_QUERY_LENGTH = 2  # a single character matches nearly everything and helps nobody
DEFAULT_LIMIT = 5  # rows per kind shown by the header's live search and the grouped page


@dataclass(frozen=True)
class SearchHit:
    """One result as a person sees it: what each app chose to show, already within the user's
    scope (an app never puts a field the user may not read here). `url` is a site path."""

    title: str
    url: str
    summary: str = ""  # a line of text, plain (templates escape it)
    meta: str = ""  # "Finance · Open"
    at: datetime | None = None


@dataclass(frozen=True)
class SearchResults:
    """Up to `limit` hits, best first, and how many rows matched in all (`total`)."""

    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0


def clean_query(text: object) -> str:
    """The search text as typed, trimmed: one line, single spaces, at most MAX_QUERY_LENGTH
    characters, no NUL (PostgreSQL refuses it). "" for anything shorter than MIN_QUERY_LENGTH."""
    value = re.sub(r"\s+", " ", str(text or "").replace("\x00", " ")).strip()[:MAX_QUERY_LENGTH]
    return value if len(value) >= MIN_QUERY_LENGTH else ""


def _words(text: str) -> list[str]:
    """The words of `text` for the plain fallback: quotes, leading '-' and 'or' dropped."""
    words = [w.strip("\"'").lstrip("-") for w in text.split()]
    return [w for w in words if w and w.lower() != "or"]


def _vector(fields: Sequence[tuple[str, str]], config: str) -> Any:
    """The weighted document of `fields`: setweight(to_tsvector(config, field), weight) || ..."""
    vector: Any = None
    for lookup, weight in fields:
        part = SearchVector(lookup, weight=weight, config=config)
        vector = part if vector is None else vector + part
    return vector


def uses_full_text() -> bool:
    """True where PostgreSQL's full-text search is available (production, tests, CI)."""
    return connection.vendor == "postgresql"


def text_search[M: Model](
    queryset: QuerySet[M],
    text: str,
    *,
    fields: Sequence[tuple[str, str]],
    titles: Sequence[str] = (),
    then: Sequence[str] = ("-pk",),
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[M], int]:
    """The rows of `queryset` matching `text` (at most `limit`, best first) and their total, in
    one query. `fields` are (lookup, weight "A"-"D") pairs searched; `titles` the lookups where
    the text as typed is also looked for (partial words); `then` orders rows of equal rank (and
    all rows on SQLite), ending with a unique key. An empty `text` matches nothing (no query).

    The caller passes a queryset already scoped to the user (`visible_to`) and only fields that
    user may read: this function widens nothing.
    """
    text = clean_query(text)
    if not text or not fields:
        return [], 0
    if uses_full_text():
        config = getattr(settings, "SEARCH_CONFIG", "english")
        query = SearchQuery(text, search_type="websearch", config=config)
        match = Q(search_document=query)
        if titles:
            match |= reduce(or_, (Q(**{f"{t}__icontains": text}) for t in titles))
        # The rank reads only the heading fields (weight A): PostgreSQL computes a vector again
        # for every matching row it ranks, and the long texts would double the cost of a search
        # that matches many rows (measured: 1.6 s -> 1.0 s for 4,000 matches). Rows that match
        # only in their text rank after those whose heading matches, newest first (`then`).
        headings = [(lookup, weight) for lookup, weight in fields if weight == "A"] or fields[:1]
        rows = (
            queryset.annotate(search_document=_vector(fields, config))
            .filter(match)
            .annotate(search_rank=SearchRank(_vector(headings, config), query))
            .order_by("-search_rank", *then)
        )
    else:
        lookups = [lookup for lookup, _ in fields]
        condition = Q()
        for word in _words(text):
            condition &= reduce(or_, (Q(**{f"{lookup}__icontains": word}) for lookup in lookups))
        if not condition:
            return [], 0
        rows = queryset.filter(condition).order_by(*then)
    found: list[Any] = list(rows.annotate(search_total=Window(Count("pk")))[:limit])
    return found, (found[0].search_total if found else 0)
