"""`/api/v1/health/`: current health of every unit the caller may see, and a unit's history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters as filters
from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from brm.core.filtering import FilterSet, FlagFilter
from brm.core.ordering import StableOrderingFilter
from brm.core.prebuilt import Prebuilt
from brm.health.api.serializers import HealthPointSerializer, HealthSnapshotSerializer
from brm.health.facts import with_components_text
from brm.health.models import Band, HealthSnapshot
from brm.health.selectors import latest_snapshots

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class HealthFilterSet(FilterSet):
    band = filters.ChoiceFilter(choices=Band.choices)
    watermelon = FlagFilter()
    unit = filters.NumberFilter(field_name="unit_id")
    score_below = filters.NumberFilter(field_name="score", lookup_expr="lt")
    ordering = StableOrderingFilter(
        fields=("score", "trend", "perception", "delivery", ("unit__name", "unit"))
    )

    class Meta:
        model = HealthSnapshot
        fields = ["band", "watermelon", "unit"]


# What the list reads of a snapshot: those of the serializer's fields that are its columns
# (the unit's name and the components are read apart: the unit joined, the components as text;
# a computed field added to the serializer is not a column to load).
API_COLUMNS = tuple(
    name
    for name in HealthSnapshotSerializer.Meta.fields
    if name in {f.name for f in HealthSnapshot._meta.concrete_fields} and name != "components"
)


# Built once for IT's readers (brm.core.prebuilt): 0.4 ms of expressions per request more.
@Prebuilt
def _rows(user: AnyUser) -> QuerySet[HealthSnapshot]:
    """`latest_snapshots(user)` as the list reads them, ordered by unit name."""
    # The serializer's columns and the unit's name only (not the unit and its BRM in full),
    # the components read as text: digested, and decoded only if not rendered yet.
    snapshots = (
        latest_snapshots(user)
        .select_related(None)
        .select_related("unit")
        .only("unit__name", *API_COLUMNS)
    )
    return with_components_text(snapshots).order_by("unit__name")


class HealthViewSet(viewsets.ReadOnlyModelViewSet[HealthSnapshot]):
    """Relationship health per business unit (read-only; recomputed by a background job).

    The detail path takes the unit id: `/api/v1/health/{unit}/` is that unit's current health
    and `/api/v1/health/{unit}/history/` its stored history (`?since=YYYY-MM-DD`).
    """

    serializer_class = HealthSnapshotSerializer
    filterset_class = HealthFilterSet
    lookup_field = "unit"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[HealthSnapshot]:
        return _rows(self.request.user)

    @extend_schema(
        responses=HealthPointSerializer(many=True),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description="Default: a year ago.")
        ],
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, unit: str | None = None) -> Response:
        current = self.get_object()  # 404 for a unit the caller may not see
        points = HealthSnapshot.objects.filter(unit_id=current.unit_id).order_by("as_of")
        since = request.query_params.get("since")
        if since:
            form = filters.DateFilter().field
            try:
                points = points.filter(as_of__gte=form.clean(since))
            except Exception as exc:  # a bad date is the caller's error, not ours
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"since": [gettext("Enter a date as YYYY-MM-DD.")]}) from exc
        return Response(HealthPointSerializer(points, many=True).data)
