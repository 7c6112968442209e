"""The API's one pagination: page numbers over a stably ordered queryset."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.views import APIView

from brm.core.api_output import (
    FastRepresentationMixin,
    load_pk_lists,
    pk_list_sources,
    shared_plan,
    split_pk_prefetches,
)
from brm.core.ordering import stable_order


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 50, at most 200), as every list in the API.

    The queryset's ordering gets a unique tie-breaker (`brm.core.ordering.stable_order`) before
    it is cut into pages, so walking all pages returns every row exactly once.

    In a viewset's `list`, the to-many relations its serializer sends as ids are read as ids
    for the page (`brm.core.api_output.split_pk_prefetches` and `load_pk_lists`) instead of
    prefetched as objects: the same queries, without a model instance per related row.
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
        relations: list[Any] = []
        if getattr(view, "action", None) == "list" and isinstance(queryset, QuerySet):
            queryset, relations = self._ids_instead_of_objects(queryset, view)
        rows: list[Any] | None = super().paginate_queryset(stable_order(queryset), request, view)
        if rows and relations:
            load_pk_lists(rows, relations)
        return rows

    @staticmethod
    def _ids_instead_of_objects(queryset: QuerySet[Any], view: Any) -> tuple[QuerySet[Any], Any]:
        """The list's queryset without the related objects its serializer never reads, and
        the relations to read as ids for the page; unchanged for a view whose serializer is not
        a kernel one (`FastRepresentationMixin`) of the queryset's model (a custom list).

        - Prefetches of relations sent only as ids become id lists (`split_pk_prefetches`).
        - Joins (`select_related`) are dropped when the rows are read by a shared plan
          (`brm.core.api_output.shared_plan`) that reads nothing but columns and annotations
          (`RowPlan.reads_columns_only`: foreign keys by their column, no property that could
          follow a relation), so a joined object would be built for each row and never read.
          A selector's joins serve its HTML page. (No serializer of the API reads a related
          object in its own `to_representation`; one that did would need its joins kept.)"""
        # The class the view itself serializes with (a viewset may choose one per request by
        # overriding get_serializer_class). DRF asserts when a view has neither: such a view
        # serializes by hand, and its rows keep their joins.
        try:
            serializer_class = view.get_serializer_class()
        except (AttributeError, AssertionError):
            serializer_class = None
        if not (
            isinstance(serializer_class, type)
            # Rows represented by DRF itself read every relation through its manager.
            and issubclass(serializer_class, FastRepresentationMixin)
            and getattr(getattr(serializer_class, "Meta", None), "model", None) is queryset.model
        ):
            return queryset, []
        if queryset.query.select_related:
            plan = shared_plan(serializer_class)
            if plan is not None and plan.reads_columns_only(queryset):
                queryset = queryset.select_related(None)
        if not queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            return queryset, []
        sources = pk_list_sources(serializer_class, view.get_serializer)
        return split_pk_prefetches(queryset, sources)
