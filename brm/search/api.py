"""`/api/v1/search/?q=`: the global search for integrations and scripts, grouped by kind.

The same selectors as the page (`brm.search.global_search`): each kind within the caller's
scope, one query per kind. Not a paginated list: each group carries its first `limit` results
and the `count` of all matches; ask again with `kind=` and a larger `limit` for more.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from brm.core.search import MAX_QUERY_LENGTH, clean_query
from brm.search import KINDS, global_search

MAX_LIMIT = 50


class SearchQuerySerializer(serializers.Serializer[Any]):
    """The query parameters."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text='The text: words in any order, "a phrase", -word to leave out, or. '
        "Fewer than two characters finds nothing.",
    )
    kind = serializers.ChoiceField(
        choices=[k.key for k in KINDS], required=False, help_text="Only this kind."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, default=5, help_text="Results per kind."
    )


class SearchResultSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page on this site (a path).")
    summary = serializers.CharField(help_text="A line of text; may be empty.")
    meta = serializers.CharField(help_text="Unit and status, e.g. 'Finance · Open'.")
    at = serializers.DateTimeField(allow_null=True, help_text="When it happened, if it has a date.")


class SearchGroupSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[k.key for k in KINDS])
    name = serializers.CharField(help_text="The kind as people read it, e.g. 'Business units'.")
    count = serializers.IntegerField(help_text="All matches of this kind the caller may see.")
    results = SearchResultSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer[Any]):
    query = serializers.CharField(help_text="The text as searched (trimmed).")
    count = serializers.IntegerField(help_text="All matches, every kind.")
    groups = SearchGroupSerializer(many=True, help_text="Kinds with at least one match.")


class SearchView(GenericAPIView[Any]):
    """Search units, people, meetings, complaints, demands and service reviews at once."""

    serializer_class = SearchResponseSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResponseSerializer)
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        text = clean_query(params.validated_data.get("q", ""))
        kind = params.validated_data.get("kind")
        groups = global_search(
            request.user,
            text,
            kinds=[kind] if kind else (),
            limit=params.validated_data["limit"],
        )
        body = {
            "query": text,
            "count": sum(g.results.total for g in groups),
            "groups": [
                {
                    "kind": g.kind.key,
                    "name": str(g.kind.label),
                    "count": g.results.total,
                    "results": [
                        {
                            "title": h.title,
                            "url": h.url,
                            "summary": h.summary,
                            "meta": h.meta,
                            "at": h.at,
                        }
                        for h in g.results.hits
                    ],
                }
                for g in groups
            ],
        }
        return Response(SearchResponseSerializer(body).data)
