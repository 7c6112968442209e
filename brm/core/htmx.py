"""Small helpers every list page uses: fragment-or-page rendering, pagination, CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django_filters import FilterSet
from django_htmx.middleware import HtmxDetails

from brm.core.ordering import stable_order

DEFAULT_PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    """The request type of views that read `request.htmx` (set by django-htmx's middleware)."""

    htmx: HtmxDetails


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str = "results",
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only its `partial` when htmx swaps a region (not for boosted links)."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and partial:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)


class _CountedPaginator(Paginator[Any]):
    """A Paginator that counts `counted` (the same rows, fewer columns) instead of its rows."""

    def __init__(self, object_list: Any, per_page: int, counted: QuerySet[Any]) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any] | Sequence[Any],
    per_page: int = DEFAULT_PER_PAGE,
    *,
    counted: QuerySet[Any] | None = None,
) -> Page[Any]:
    """One COUNT and one page of rows; a bad page number shows the nearest real page.

    The rows' ordering gets a unique tie-breaker (`stable_order`), so pages never repeat or skip
    a row whatever the sort. `counted`, when given, is what the COUNT counts: the same rows
    without the columns only the page shows (say `rows.values("pk")` before a window or
    subquery annotations, which Django would otherwise compile into the COUNT too)."""
    try:
        size = min(max(int(request.GET.get("page_size", per_page)), 1), 200)
    except ValueError:
        size = per_page
    if counted is None:
        return Paginator(stable_order(queryset), size).get_page(request.GET.get("page"))
    return _CountedPaginator(stable_order(queryset), size, counted).get_page(
        request.GET.get("page")
    )


def filtered(filterset: FilterSet) -> QuerySet[Any]:
    """A list page's rows: the filter's result, or none while a filter value is invalid (the page
    shows the form's errors instead of silently ignoring the bad value)."""
    if filterset.is_valid():
        return filterset.qs
    # FilterSet.__init__ always sets `queryset`; the stubs type the attribute as Optional.
    return filterset.queryset.none()  # type: ignore[union-attr]


def querystring_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream a CSV so a large export neither waits nor holds every row in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8 names correctly
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_safe_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe_cell(value: Any) -> Any:
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection).
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return "" if value is None else value


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the form posted, if it points back into this site; otherwise `default`."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default
