"""Stable orderings: every list ends its ORDER BY with a unique tie-breaker.

SQL returns rows that tie on every ORDER BY column in any order, and may return them in a
different order for each LIMIT/OFFSET, so paging through "status" or "created_at" can show a
row twice and skip another. `stable_order` appends the primary key to any ordering that has no
unique column; the kernel pagination (API), `brm.core.htmx.paginate` (HTML lists) and
`StableOrderingFilter` (every FilterSet's `ordering=`) all apply it, so whichever way a list is
sorted (query parameter, sort link, default or Meta.ordering), walking its pages returns every
row exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, OrderBy, QuerySet
from django_filters import OrderingFilter


def _name(item: Any) -> tuple[str, bool]:
    """(field path, descending) of one ORDER BY item; ("", False) for an expression."""
    if isinstance(item, str):
        return item.lstrip("-"), item.startswith("-")
    if isinstance(item, OrderBy):
        path, _ = _name(item.expression)
        return path, item.descending
    if isinstance(item, F):
        return str(getattr(item, "name", "")), False
    return "", False


def _is_unique(model: type[Model], path: str) -> bool:
    if path in {"pk", model._meta.pk.name if model._meta.pk else "pk"}:
        return True
    if "__" in path:
        return False
    try:
        field = model._meta.get_field(path)
    except FieldDoesNotExist:
        return False  # an annotation: values may tie
    # A nullable unique column may hold many NULLs, which tie.
    return bool(getattr(field, "unique", False)) and not getattr(field, "null", False)


def current_ordering(qs: QuerySet[Any]) -> Sequence[Any]:
    """The ORDER BY a queryset will use: its `order_by()`, else the model's Meta.ordering."""
    if qs.query.order_by:
        return qs.query.order_by
    if qs.query.default_ordering:
        return list(qs.model._meta.ordering)
    return ()


def stable_order[T](qs: T) -> T:
    """`qs` ordered so no two rows tie: the primary key is appended (in the direction of the
    first sort key) unless the ordering already has a unique, non-null column.

    Anything that is not a QuerySet (a list already sorted in Python) is returned unchanged, and
    so are grouped `values()` queries (ordering by the key would add it to the GROUP BY: those
    must order by their group columns) and combined queries (UNION).
    """
    if not isinstance(qs, QuerySet):
        return qs
    query = qs.query
    if query.combinator or (query.values_select and query.group_by is not None):
        return qs
    ordering = list(current_ordering(qs))
    names = [_name(item) for item in ordering]
    if any(path and _is_unique(qs.model, path) for path, _ in names):
        return qs
    descending = bool(names) and names[0][1]
    return qs.order_by(*ordering, "-pk" if descending else "pk")


class StableOrderingFilter(OrderingFilter):
    """django-filter's `OrderingFilter` that ends every requested ordering with the primary key
    (see `stable_order`). Use it for every FilterSet's `ordering`."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return stable_order(super().filter(qs, value))
