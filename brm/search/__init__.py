"""Global search from the header: every app's records the user may see, grouped by kind.

The project floor only combines: each business app exports a search selector that scopes its
rows with its own access rule and names what a user may search and see
(`stakeholders.selectors.search_units`, `search_stakeholders`, `search_interactions`,
`complaints.selectors.search_complaints`, `portfolio.selectors.demand.search_demands`,
`reviews.selectors.search_reviews`); the text itself goes through `brm.core.search` (PostgreSQL
full-text search, `icontains` on SQLite). One query per kind, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from brm.core.search import DEFAULT_LIMIT, SearchResults, clean_query
from complaints.selectors import search_complaints
from portfolio.selectors.demand import search_demands
from reviews.selectors import search_reviews
from stakeholders.selectors import search_interactions, search_stakeholders, search_units

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from brm.core.roles import AnyUser


@dataclass(frozen=True)
class Kind:
    """One kind of record the search covers: its key (``?kind=``), label, icon and selector."""

    key: str
    label: StrOrPromise  # in the reader's language
    icon: str  # a Bootstrap Icons name
    find: Callable[..., SearchResults]  # (user, text, *, limit) -> SearchResults


KINDS: tuple[Kind, ...] = (
    Kind("units", _("Business units"), "building", search_units),
    Kind("people", _("People"), "person", search_stakeholders),
    Kind("meetings", _("Meetings"), "chat-left-text", search_interactions),
    Kind("complaints", _("Complaints"), "exclamation-octagon", search_complaints),
    Kind("demands", _("Demands and ideas"), "lightbulb", search_demands),
    Kind("reviews", _("Service reviews"), "calendar-check", search_reviews),
)
KINDS_BY_KEY = {k.key: k for k in KINDS}


@dataclass(frozen=True)
class Group:
    """The results of one kind: `results.hits` (best first) and `results.total`."""

    kind: Kind
    results: SearchResults


def global_search(
    user: AnyUser, text: str, *, kinds: Sequence[str] = (), limit: int = DEFAULT_LIMIT
) -> list[Group]:
    """Each kind's results for `text` within the user's scope (all kinds, or the keys in
    `kinds`), at most `limit` hits each; kinds with no hit are left out. One query per kind;
    none at all for a text too short to search (`clean_query`)."""
    text = clean_query(text)
    if not text:
        return []
    chosen = [KINDS_BY_KEY[k] for k in kinds if k in KINDS_BY_KEY] or list(KINDS)
    groups = [Group(kind, kind.find(user, text, limit=limit)) for kind in chosen]
    return [g for g in groups if g.results.total]
