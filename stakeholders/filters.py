"""One FilterSet per list, used by the HTML page, its CSV export and the API alike."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FILTER_DEFAULTS, FilterSet, FlagFilter
from brm.core.ordering import StableOrderingFilter
from brm.core.validators import bound_dates
from stakeholders.models import (
    OUTCOME_LABELS,
    ActionItem,
    ActionItemQuerySet,
    ActionStatus,
    BusinessUnit,
    Interaction,
    InteractionKind,
    OwnerSide,
    RoleType,
    Stakeholder,
    managed_by,
)
from stakeholders.permissions import may_see_analysis


def _visible_units(request: HttpRequest) -> QuerySet[BusinessUnit]:
    # The unit choices themselves are scoped: a leader cannot even filter by another unit's id.
    if request is None:
        return BusinessUnit.objects.none()
    return BusinessUnit.objects.visible_to(request.user)


def _visible_stakeholders(request: HttpRequest) -> QuerySet[Stakeholder]:
    if request is None:
        return Stakeholder.objects.none()
    return Stakeholder.objects.visible_to(request.user)


def _visible_interactions(request: HttpRequest) -> QuerySet[Interaction]:
    if request is None:
        return Interaction.objects.none()
    return Interaction.objects.visible_to(request.user)


def _drop_analysis(filterset: filters.FilterSet, names: tuple[str, ...]) -> None:
    """Without `may_see_analysis`, filtering or sorting by analysis would reveal it: the filters
    go (the parameters are ignored) and ordering keeps only the other fields."""
    request = filterset.request
    if request is None or may_see_analysis(request.user):
        return
    for name in names:
        filterset.filters.pop(name, None)
    data = filterset.data
    requested = data.get("ordering") if data is not None else None
    if data is not None and requested:
        kept = [o for o in str(requested).split(",") if o.strip().lstrip("-") not in names]
        data = data.copy()
        data["ordering"] = ",".join(kept)
        filterset.data = data


class SearchFilterSet(FilterSet):
    """Adds `search=` over `search_fields`, matched word by word, case-insensitively."""

    FILTER_DEFAULTS = FILTER_DEFAULTS  # yes/no model fields read "1", "on"... (FlagFilter)
    search_fields: tuple[str, ...] = ()
    search = filters.CharFilter(method="filter_search", label=_("Search"))
    _dates_bound = False

    @property
    def form(self) -> Any:
        # Date filters of the pages take the API's range (`?occurred_after=0132-...+17:11` was
        # a database error, a 500); the API's filter backend applies the same.
        # Once per filter set: templates ask for the form many times.
        form = super().form
        if not self._dates_bound:
            bound_dates(form.fields.values())
            self._dates_bound = True
        return form

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        for word in value.split()[:5]:
            q = Q()
            for field_name in self.search_fields:
                q |= Q(**{f"{field_name}__icontains": word})
            queryset = queryset.filter(q)
        return queryset


class BusinessUnitFilterSet(SearchFilterSet):
    search_fields = ("name", "code", "description")
    mine = FlagFilter(method="filter_mine", label=_("Only my units"))
    parent = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    ordering = StableOrderingFilter(fields=("name", "code", "created_at", "updated_at"))

    class Meta:
        model = BusinessUnit
        fields = ["brm", "deputy", "active", "parent"]

    def filter_mine(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if not value or self.request is None:
            return queryset
        user = self.request.user
        return queryset.filter(managed_by(user))


class StakeholderFilterSet(SearchFilterSet):
    search_fields = ("name", "job_title", "email", "unit__name")
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    role_type = filters.ChoiceFilter(choices=RoleType.choices)
    influence = filters.NumberFilter()
    influence_min = filters.NumberFilter(field_name="influence", lookup_expr="gte")
    interest = filters.NumberFilter()
    interest_min = filters.NumberFilter(field_name="interest", lookup_expr="gte")
    ordering = StableOrderingFilter(
        fields=("name", "influence", "interest", "created_at", "updated_at", ("unit__name", "unit"))
    )

    class Meta:
        model = Stakeholder
        fields = [
            "unit",
            "role_type",
            "influence",
            "interest",
            "active",
            "preferred_channel",
            "external_id",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _drop_analysis(self, ("influence", "influence_min", "interest", "interest_min"))


class InteractionFilterSet(SearchFilterSet):
    search_fields = ("summary",)
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    kind = filters.ChoiceFilter(choices=InteractionKind.choices)
    occurred_after = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    stakeholder = filters.NumberFilter(field_name="attendees", distinct=True)
    ordering = StableOrderingFilter(fields=("occurred_at", "sentiment", "created_at"))

    class Meta:
        model = Interaction
        fields = ["unit", "kind", "sentiment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _drop_analysis(self, ("sentiment",))


class ActionItemFilterSet(SearchFilterSet):
    search_fields = ("title", "description")
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    status = filters.ChoiceFilter(choices=ActionStatus.choices)
    # Scoped like `unit`: another unit's id must answer as an unknown id does, confirming nothing.
    owner_stakeholder = filters.ModelChoiceFilter(
        queryset=_visible_stakeholders,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    interaction = filters.ModelChoiceFilter(
        queryset=_visible_interactions,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    # The review and plan that made a promise link to it from their own apps (`review_link`,
    # `plan_link`); filtering by their ids keeps the API's parameters without importing them. An
    # id of a review the caller may not see matches nothing the caller can see either.
    review = filters.NumberFilter(field_name="review_link__review", label=_("Service review"))
    improvement_plan = filters.NumberFilter(field_name="plan_link__plan")
    owner_side = filters.ChoiceFilter(choices=OwnerSide.choices)
    overdue = FlagFilter(method="filter_overdue", label=_("Overdue only"))
    outcome = filters.ChoiceFilter(
        choices=list(OUTCOME_LABELS.items()), method="filter_outcome", label=_("Outcome")
    )
    mine = FlagFilter(method="filter_mine", label=_("Only mine"))
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    ordering = StableOrderingFilter(
        fields=("due_date", "created_at", "updated_at", "status", ("unit__name", "unit"))
    )

    class Meta:
        model = ActionItem
        fields = ["unit", "status", "owner_side", "owner", "owner_stakeholder", "interaction"]

    def filter_overdue(
        self, queryset: ActionItemQuerySet, name: str, value: bool | None
    ) -> ActionItemQuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        return (
            queryset.with_outcome("overdue", today)
            if value
            else queryset.without_outcome("overdue", today)
        )

    def filter_outcome(
        self, queryset: ActionItemQuerySet, name: str, value: str
    ) -> ActionItemQuerySet:
        # The same rule as the dashboard's and the health engine's promise counts.
        return queryset.with_outcome(value, timezone.localdate()) if value else queryset

    def filter_mine(
        self, queryset: ActionItemQuerySet, name: str, value: bool
    ) -> ActionItemQuerySet:
        if not value or self.request is None:
            return queryset
        return queryset.for_user(self.request.user)
