"""FilterSets of service reviews, shared by the HTML pages and the API."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FlagFilter
from brm.core.ordering import StableOrderingFilter
from reviews.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    ReviewSettings,
    ReviewStatus,
    ServiceReview,
    ServiceReviewQuerySet,
)
from stakeholders.filters import SearchFilterSet, _visible_units
from stakeholders.models import managed_by

VIEWS = [
    ("upcoming", _("Upcoming")),
    ("overdue", _("Overdue")),
    ("held", _("Held")),
    ("all", _("All")),
]


def _visible_reviews(request: HttpRequest | None) -> QuerySet[ServiceReview]:
    if request is None:
        return ServiceReview.objects.none()
    return ServiceReview.objects.visible_to(request.user)


class ServiceReviewFilterSet(SearchFilterSet):
    search_fields = ("unit__name", "agenda", "minutes", "outcome")
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    status = filters.ChoiceFilter(choices=ReviewStatus.choices)
    view = filters.ChoiceFilter(choices=VIEWS, method="filter_view", label=_("Show"))
    mine = FlagFilter(method="filter_mine", label=_("Only my units"))
    scheduled_after = filters.IsoDateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    scheduled_before = filters.IsoDateTimeFilter(field_name="scheduled_at", lookup_expr="lt")
    ordering = StableOrderingFilter(
        fields=("scheduled_at", "created_at", "updated_at", ("unit__name", "unit"))
    )

    class Meta:
        model = ServiceReview
        fields = ["unit", "status"]

    def filter_view(
        self, queryset: ServiceReviewQuerySet, name: str, value: str
    ) -> ServiceReviewQuerySet:
        now = timezone.now()
        if value == "upcoming":
            return queryset.upcoming(now).order_by("scheduled_at", "pk")
        if value == "overdue":
            grace = ReviewSettings.get().overdue_grace_days
            return queryset.overdue(now, grace).order_by("scheduled_at", "pk")
        if value == "held":
            return queryset.filter(status=ReviewStatus.HELD).order_by("-scheduled_at", "-pk")
        return queryset

    def filter_mine(
        self, queryset: ServiceReviewQuerySet, name: str, value: bool
    ) -> ServiceReviewQuerySet:
        if not value or self.request is None:
            return queryset
        user = self.request.user
        return queryset.filter(managed_by(user, "unit__"))


class ChangeRequestFilterSet(SearchFilterSet):
    search_fields = ("title", "description", "decision")
    review = filters.ModelChoiceFilter(
        queryset=_visible_reviews,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    unit = filters.ModelChoiceFilter(
        field_name="review__unit",
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    kind = filters.ChoiceFilter(choices=ChangeKind.choices)
    status = filters.ChoiceFilter(choices=ChangeStatus.choices)
    ordering = StableOrderingFilter(fields=("created_at", "updated_at", "status"))

    class Meta:
        model = ChangeRequest
        fields = ["review", "kind", "status", "service"]
