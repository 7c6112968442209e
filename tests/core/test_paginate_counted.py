"""`paginate(..., counted=...)` counts the queryset it is given and pages the rows as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from brm.core.htmx import paginate
from stakeholders.models import BusinessUnit
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["page_size=2", "page_size=2&page=2", "page_size=2&page=9"])
def test_it_counts_what_it_is_told_and_pages_the_rows_alike(query: str) -> None:
    for n in range(5):
        BusinessUnitFactory.create(name=f"Unit {n}")
    request = RequestFactory().get(f"/units/?{query}")
    rows = BusinessUnit.objects.order_by("name")
    plain = paginate(request, rows)
    with CaptureQueriesContext(connection) as ctx:
        counted = paginate(request, rows, counted=rows.values("pk"))
        assert [u.pk for u in counted] == [u.pk for u in plain]
    assert (counted.number, counted.paginator.count) == (plain.number, 5)
    assert ctx.captured_queries[0]["sql"].startswith('SELECT COUNT(*) AS "__count"')
    assert '"name"' not in ctx.captured_queries[0]["sql"]
