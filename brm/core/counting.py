"""Counting a record's related rows for a list, without multiplying them (issue 14).

`Count("a", distinct=True)` beside `Count("b", distinct=True)` joins both relations and groups
the product: a service's consumers x its months of metrics, a review's change requests x its
commitments. The answers stay right (DISTINCT), but the database builds and sorts the product
first: the service catalogue took 90 ms of database time at 2,000 units with 24 months of
metrics. Counting each relation in a correlated subquery reads each row once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet[Any], key: str) -> Coalesce:
    """How many of `rows` point at each row of the outer query through `key` (the name of
    their foreign key to it: "unit", "service", or a many-to-many through table's side), as a
    correlated subquery: an int, 0 when none. Filter `rows` first for a conditional count
    (`ActionItem.objects.filter(status="open")`)."""
    counts = (
        rows.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def through_rows(relation: Any) -> tuple[QuerySet[Any], str]:
    """A many-to-many relation's link rows and the name of their key to the relation's own
    model (`Service.consumers` -> the consumer links, "service"): `count_of(*through_rows(
    Service.consumers))` counts each service's consumers without joining the units."""
    field = relation.field
    return field.remote_field.through.objects.all(), field.m2m_field_name()
