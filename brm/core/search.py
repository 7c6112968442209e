"""Text search the apps share: PostgreSQL full-text search on a GIN index, `icontains` on SQLite.

Each business app exports a search selector (``complaints.selectors.search_complaints(user,
text, limit=...)``) that scopes its rows with its own access queryset and names the fields a
user may search; this module only turns the text into one query. The global search page on the
project floor (`brm.search`) asks every app and shows the groups.

On PostgreSQL each searched model declares its `SearchDocument`: its own text columns, read as
``to_tsvector('english', coalesce(a, '') || ' ' || coalesce(b, '') ...)`` and kept in a GIN
expression index (`SearchDocument.index()` in the model's Meta, created by an
`AddSearchIndex` migration). The query matches that very expression, so the planner reads the
index instead of parsing every row's text: a search costs the rows it finds, not the size of the
table. The text is read with ``websearch_to_tsquery`` (quoted phrases, ``or``, ``-word``); the
last word also matches as a prefix (``to_tsquery('inv':*)``, from a `Lexeme`, never from SQL
text), so a live search finds "Invoice" while it is typed. Rows rank by their heading fields
(weight A). On SQLite (``make run``) every word must occur in one of the fields
(``icontains``). Either way it is ONE query per call: the rows (at most `limit`) and the total
count together, through a window count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import (
    CombinedSearchQuery,
    Lexeme,
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVector,
    SearchVectorExact,
)
from django.db import connection
from django.db.migrations.operations import AddIndex
from django.db.models import (
    Case,
    Count,
    ForeignKey,
    Model,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast

# The text search configuration of every search document and query. The GIN indexes are built
# with it: changing it means a migration that builds them again, or the indexes go unused.
SEARCH_CONFIG = "english"
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


def uses_full_text() -> bool:
    """True where PostgreSQL's full-text search is available (production, tests, CI)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class SearchDocument:
    """The text of one model that search reads: its own text columns (no joins: an index
    covers one table), every column any user may search. The model puts `index()` in its Meta
    and a migration creates it with `AddSearchIndex`; `vector()` is the identical expression the
    query matches, which is what lets PostgreSQL answer from the index."""

    name: str  # the index's name, e.g. "complaint_search"
    fields: tuple[str, ...]  # column names, in the order the index reads them

    def vector(self) -> SearchVector:
        """to_tsvector(SEARCH_CONFIG, coalesce(a, '') || ' ' || coalesce(b, '') || ...)."""
        return SearchVector(*self.fields, config=SEARCH_CONFIG)

    def index(self) -> GinIndex:
        """The GIN index on `vector()` (PostgreSQL only: see `AddSearchIndex`)."""
        return GinIndex(self.vector(), name=self.name)


class AddSearchIndex(AddIndex):
    """`AddIndex` for a `SearchDocument` index, built on PostgreSQL only.

    Django writes ``CREATE INDEX ... USING gin`` on every database, and SQLite (``make run``)
    refuses it; the plain fallback there reads every row anyway. The migration state records
    the index on every database, so `makemigrations` stays in step with the model's Meta."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)


@dataclass(frozen=True)
class _Query:
    """The text as tsqueries. `match`: what a row's text must satisfy (the websearch query, or
    the same with the last word as a prefix). `terms`: one per positive word (the last one its
    prefix while typed): a matching row holds all of them when the text is `conjunctive` (no
    "or"), one at least otherwise; they narrow rows through an index holding MORE text than the
    user may search, where `match` could not (a negated word may hide in the rest). `plain`: the
    text is words only, so `match` is exactly all the terms."""

    match: Any
    terms: list[Any]
    conjunctive: bool
    excluded: list[Any]  # one per negated word ("-draft")
    plain: bool

    @property
    def negated(self) -> bool:
        return bool(self.excluded)

    def narrowing(self) -> Any | None:
        """What every matching row holds, for an index; None when nothing sound narrows: no
        positive word ("-draft"), or an "or" beside a negation ("a or -draft")."""
        if not self.terms or (self.negated and not self.conjunctive):
            return None
        return reduce(and_ if self.conjunctive else or_, self.terms)

    def any_term(self) -> Any:
        return reduce(or_, self.terms)


_LEXEME_SPECIALS = re.compile(r"['\0\[\]()|&:*!@<>\\]")  # what `Lexeme` blanks out


def _prefix(word: str) -> Any | None:
    """`word` as a prefix, stemmed (the document is) and as typed (a stemmer may cut a
    half-typed word differently, and a stop word such as "on" is a fine start of "onboarding").
    A `Lexeme` quotes it for to_tsquery; None when nothing searchable is left."""
    word = _LEXEME_SPECIALS.sub(" ", word).strip()
    if not word:
        return None
    lexeme = Lexeme(word, prefix=True)
    return SearchQuery(lexeme, config=SEARCH_CONFIG) | SearchQuery(lexeme, config="simple")


def _query(text: str) -> _Query:
    """The tsqueries of `text` (cleaned, not empty)."""
    whole = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    tokens = text.split()
    last = tokens[-1]
    operators = [t for t in tokens if t.lower() == "or"]
    negations = [t for t in tokens if t.lstrip('"').startswith("-")]
    words = [w for t in tokens if t not in operators and t not in negations if (w := t.strip('"'))]
    # The last word is being typed, unless it is an operator, a negation or ends a quote.
    typing = last not in operators and last not in negations and '"' not in last
    prefix = _prefix(last) if typing else None
    match = whole
    terms = [SearchQuery(w, search_type="plain", config=SEARCH_CONFIG) for w in words]
    if prefix is not None:
        rest = text[: text.rfind(last)].strip()
        before = SearchQuery(rest, search_type="websearch", config=SEARCH_CONFIG)
        match = whole | ((before & prefix) if rest else prefix)
        terms[-1] = prefix  # it holds the whole word too
    # Letters and digits only: the parser splits at "_", "-" or "." into phrases websearch keeps.
    plain = not operators and all(re.fullmatch(r"[^\W_]+", t) for t in tokens)
    excluded = [
        SearchQuery(w, search_type="plain", config=SEARCH_CONFIG)
        for t in negations
        if (w := t.strip('"').lstrip("-").strip('"'))
    ]
    return _Query(match, terms, not operators, excluded, plain)


def _vector(fields: Sequence[tuple[str, str]]) -> Any:
    """The weighted vector of `fields`: setweight(to_tsvector(config, field), weight) || ..."""
    parts: list[Any] = [SearchVector(f, weight=w, config=SEARCH_CONFIG) for f, w in fields]
    return reduce(lambda a, b: a + b, parts)


def _matches(vector: Any, query: Any) -> Q:
    return Q(SearchVectorExact(vector, query))


def _match[M: Model](
    queryset: QuerySet[M],
    query: _Query,
    fields: Sequence[tuple[str, str]],
    document: SearchDocument,
) -> Q:
    """The condition on which a row of `queryset` matches `query`: its own fields, read through
    the indexed `document`; or its own fields with those of a related row (``unit__name``, so
    that "finance budget" finds the Finance unit's budget meetings). The related table is small:
    a subquery finds the related rows holding a word of the text; their rows match all when the
    related row matches alone ("finance": every Finance meeting), else the index finds those
    holding the words the related row lacks, and only these are read in full."""
    model = queryset.model
    own = [f for f, _ in fields if "__" not in f]
    related = [(f, w) for f, w in fields if "__" in f]
    if not own or not set(own) <= set(document.fields):
        raise ValueError(f"{model.__name__}: search {own} within {document.fields}")
    narrowing = query.narrowing()
    if narrowing is None:
        # Nothing narrows the rows (a text of negations): every row's text is read, as before
        # there was an index. Rare, and still one query.
        return _matches(SearchVector(*[f for f, _ in fields], config=SEARCH_CONFIG), query.match)
    whole_document = set(own) == set(document.fields)
    if whole_document:
        indexed = _matches(document.vector(), query.match)
    else:
        # The user may search part of the document only (a leader never the BRM's notes): the
        # index narrows to rows holding the words anywhere, their searchable part decides.
        own_vector = SearchVector(*own, config=SEARCH_CONFIG)
        indexed = _matches(document.vector(), narrowing) & _matches(own_vector, query.match)
    if not related:
        return indexed
    # One subquery, a union, within the caller's scope: PostgreSQL joins it on the primary key,
    # where an OR of the conditions would read every candidate row's text again.
    rows = queryset.order_by()
    whole = _matches(SearchVector(*[f for f, _ in fields], config=SEARCH_CONFIG), query.match)
    by_itself = rows.filter(indexed)
    members = []
    for relation in sorted({f.split("__", 1)[0] for f, _ in related}):
        foreign_key = model._meta.get_field(relation)
        if not isinstance(foreign_key, ForeignKey):
            raise ValueError(f"{model.__name__}.{relation}: search follows foreign keys only")
        lookups = [f for f, _ in related if f.startswith(f"{relation}__")]
        targets = foreign_key.related_model._base_manager.values("pk")
        target_vector = SearchVector(*[f.split("__", 1)[1] for f in lookups], config=SEARCH_CONFIG)
        alone = targets.filter(_matches(target_vector, query.match))
        # A related row that matches alone matches all its rows, unless they exclude a word.
        by_relation = rows.filter(Q(**{f"{relation}__in": alone}))
        if query.negated:
            by_relation = by_relation.filter(whole)
            # A row matching by itself does not when its related row holds an excluded word.
            excluding = targets.filter(_matches(target_vector, reduce(or_, query.excluded)))
            by_itself = by_itself.exclude(Q(**{f"{relation}__in": excluding}))
            members.append(rows.filter(indexed, whole, Q(**{f"{relation}__in": excluding})))
        # Otherwise the row holds the words its related row lacks (text added can only satisfy
        # a positive word): for each related row, the terms it lacks, found through the index.
        partly = targets.filter(_matches(target_vector, query.any_term()))
        lacking = narrowing
        if query.conjunctive:
            via = SearchVector(*lookups, config=SEARCH_CONFIG)
            empty: Any = Cast(Value(""), SearchQueryField())
            lacking = reduce(
                lambda a, b: CombinedSearchQuery(a, "&&", b, None, SearchQueryField()),
                [
                    Case(
                        When(SearchVectorExact(via, t), then=empty),
                        default=t,
                        output_field=SearchQueryField(),
                    )
                    for t in query.terms
                ],
                empty,  # '' && t is t: the start of the chain, and a tsquery for Django
            )
        together = rows.filter(
            Q(**{f"{relation}__in": partly}), _matches(document.vector(), lacking)
        )
        if not (query.plain and whole_document):
            together = together.filter(whole)
        members += [by_relation, together]
    matches = by_itself.values("pk").union(*(m.values("pk") for m in members))
    return Q(pk__in=matches)


def text_search[M: Model](
    queryset: QuerySet[M],
    text: str,
    *,
    fields: Sequence[tuple[str, str]],
    document: SearchDocument,
    then: Sequence[str] = ("-pk",),
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[M], int]:
    """The rows of `queryset` matching `text` (at most `limit`, best first) and their total, in
    one query. `fields` are the (lookup, weight "A"-"D") pairs this user may search: some of
    the model's own columns, all within `document` (the model's indexed `SearchDocument`), and
    lookups through a foreign key (``unit__name``); the weight A fields are the heading the rank
    reads. `then` orders rows of equal rank (and all rows on SQLite), ending with a unique key.
    An empty `text` matches nothing (no query). Raises ValueError for fields outside `document`
    or with none of the model's own (a programming error: no index could serve them).

    The caller passes a queryset already scoped to the user (`visible_to`) and only fields that
    user may read: this function widens nothing.
    """
    text = clean_query(text)
    if not text or not fields:
        return [], 0
    if uses_full_text():
        query = _query(text)
        # The rank reads only the heading fields (weight A): PostgreSQL computes a vector again
        # for every matching row it ranks, and the long texts would double the cost of a search
        # that matches many rows. Rows that match only in their text rank after those whose
        # heading matches, newest first (`then`).
        headings = [(lookup, weight) for lookup, weight in fields if weight == "A"] or fields[:1]
        rows = (
            queryset.filter(_match(queryset, query, fields, document))
            .annotate(search_rank=SearchRank(_vector(headings), query.match))
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
