"""FilterSets of the service portfolio, shared by the HTML pages and the API."""

from __future__ import annotations

import django_filters as filters

from portfolio.models.catalogue import Lifecycle, Service, ServiceMetric
from stakeholders.filters import SearchFilterSet, _visible_units


def _visible_services(request):  # type: ignore[no-untyped-def]
    if request is None:
        return Service.objects.none()
    return Service.objects.visible_to(request.user)


class ServiceFilterSet(SearchFilterSet):
    search_fields = ("name", "description")
    lifecycle = filters.ChoiceFilter(choices=Lifecycle.choices)
    unit = filters.ModelChoiceFilter(
        field_name="consumers", queryset=_visible_units, label="Consumed by"
    )
    ordering = filters.OrderingFilter(fields=("name", "lifecycle", "created_at", "updated_at"))

    class Meta:
        model = Service
        fields = ["lifecycle", "owner", "unit"]


class ServiceMetricFilterSet(filters.FilterSet):
    service = filters.ModelChoiceFilter(queryset=_visible_services)
    period_after = filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_before = filters.DateFilter(field_name="period_start", lookup_expr="lte")
    ordering = filters.OrderingFilter(fields=("period_start", "availability", "created_at"))

    class Meta:
        model = ServiceMetric
        fields = ["service", "sla_met", "period_start", "period_end"]
