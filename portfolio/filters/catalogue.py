"""FilterSets of the service portfolio, shared by the HTML pages and the API."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FILTER_DEFAULTS, FilterSet
from brm.core.ordering import StableOrderingFilter
from portfolio.models.catalogue import Lifecycle, Service, ServiceMetric
from stakeholders.filters import SearchFilterSet, _visible_units


def _visible_services(request: HttpRequest | None) -> QuerySet[Service]:
    if request is None:
        return Service.objects.none()
    return Service.objects.visible_to(request.user)


class ServiceFilterSet(SearchFilterSet):
    search_fields = ("name", "description")
    lifecycle = filters.ChoiceFilter(choices=Lifecycle.choices)
    unit = filters.ModelChoiceFilter(
        field_name="consumers",
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
        label=_("Consumed by"),
    )
    ordering = StableOrderingFilter(fields=("name", "lifecycle", "created_at", "updated_at"))

    class Meta:
        model = Service
        fields = ["lifecycle", "owner", "unit"]


class ServiceMetricFilterSet(FilterSet):
    # `?sla_met=1` (or on/yes) means met, as on every list; plain django-filter ignored "1".
    FILTER_DEFAULTS = FILTER_DEFAULTS
    service = filters.ModelChoiceFilter(
        queryset=_visible_services,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    period_after = filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_before = filters.DateFilter(field_name="period_start", lookup_expr="lte")
    ordering = StableOrderingFilter(fields=("period_start", "availability", "created_at"))

    class Meta:
        model = ServiceMetric
        fields = ["service", "sla_met", "period_start", "period_end"]
