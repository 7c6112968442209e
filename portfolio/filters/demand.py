"""The one FilterSet of demands, shared by the board, the ranked table, its CSV and the API."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FilterSet, FlagFilter
from brm.core.ordering import StableOrderingFilter
from portfolio.models.demand import (
    BenefitRecord,
    Demand,
    DemandStatus,
    StrategicObjective,
    Urgency,
)
from stakeholders.filters import SearchFilterSet, _visible_units


def _visible_objectives(request: HttpRequest) -> QuerySet[StrategicObjective]:
    if request is None:
        return StrategicObjective.objects.none()
    return StrategicObjective.objects.visible_to(request.user)


def _visible_demands(request: HttpRequest) -> QuerySet[Demand]:
    if request is None:
        return Demand.objects.none()
    return Demand.objects.visible_to(request.user)


class DemandFilterSet(SearchFilterSet):
    search_fields = ("title", "problem", "outcome")
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    status = filters.MultipleChoiceFilter(choices=DemandStatus.choices)
    urgency = filters.MultipleChoiceFilter(choices=Urgency.choices)
    objective = filters.ModelChoiceFilter(
        field_name="objectives",
        queryset=_visible_objectives,  # type: ignore[arg-type]  # stubs: no callable(request)
        label=_("Strategic objective"),
    )
    overridden = FlagFilter(
        field_name="rank_override", lookup_expr="isnull", exclude=True, label=_("Reordered by hand")
    )
    ordering = StableOrderingFilter(
        fields=("priority_score", "created_at", "status", ("unit__name", "unit"))
    )

    class Meta:
        model = Demand
        fields = ["unit", "status", "urgency", "objective", "brm"]


class BenefitRecordFilterSet(FilterSet):
    demand = filters.ModelChoiceFilter(
        queryset=_visible_demands,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    confirmed = FlagFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True, label=_("Business-confirmed")
    )

    class Meta:
        model = BenefitRecord
        fields = ["demand", "confirmed"]


class StrategicObjectiveFilterSet(SearchFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = StrategicObjective
        fields = ["active"]


__all__ = ["BenefitRecordFilterSet", "DemandFilterSet", "StrategicObjectiveFilterSet"]
