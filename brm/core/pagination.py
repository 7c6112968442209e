"""The API's one pagination: page numbers over a stably ordered queryset."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.views import APIView

from brm.core.ordering import stable_order


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 50, at most 200), as every list in the API.

    The queryset's ordering gets a unique tie-breaker (`brm.core.ordering.stable_order`) before
    it is cut into pages, so walking all pages returns every row exactly once.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        """`page` from 1; `page_size` from 1 to `max_page_size` (a larger one is cut to it)."""
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "Page number, from 1; past the last page is a 404."
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
                parameter["description"] = (
                    f"Rows per page, default {self.page_size}, at most {self.max_page_size}."
                )
        return parameters

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        return super().paginate_queryset(stable_order(queryset), request, view)
