"""The survey list's filters, each matching its label (issue 15)."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FilterSet
from satisfaction.models import Campaign, CampaignKind, CampaignStatus
from stakeholders.models import BusinessUnit


def _visible_units(request: HttpRequest) -> QuerySet[BusinessUnit]:
    # A leader cannot filter by another unit's id: the choice is not offered, the value refused.
    if request is None:
        return BusinessUnit.objects.none()
    return BusinessUnit.objects.visible_to(request.user)


class CampaignFilterSet(FilterSet):
    """Filters of /surveys/ (series and one-off surveys; a series stands for its runs).

    `status` matches a survey in that status or a series with a run in it, so "Closed" lists a
    quarterly survey whose last run closed; `unit` matches surveys asking that unit (any run);
    `search` matches the survey's or its template's name.
    """

    search = filters.CharFilter(method="filter_search", label=_("Search"))
    status = filters.ChoiceFilter(choices=CampaignStatus.choices, method="filter_status")
    kind = filters.ChoiceFilter(choices=CampaignKind.choices)
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
        method="filter_unit",
        label=_("Business unit"),
    )

    class Meta:
        model = Campaign
        fields = ["status", "kind", "unit"]

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # NUL bytes are never valid in text and PostgreSQL refuses them; treat them as absent.
        text = value.replace("\x00", "").strip()[:200]
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(template__name__icontains=text))

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        runs = Campaign.objects.filter(parent=OuterRef("pk"), status=value)
        return queryset.filter(Q(status=value) | Exists(runs))

    def filter_unit(self, queryset: QuerySet[Any], name: str, value: BusinessUnit) -> QuerySet[Any]:
        asked = Campaign.units.through.objects.filter(
            Q(campaign_id=OuterRef("pk")) | Q(campaign__parent_id=OuterRef("pk")),
            businessunit_id=value.pk,
        )
        return queryset.filter(Exists(asked))
