"""FilterSets for complaints and feedback, shared by the HTML pages, CSV export and API."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.filtering import FlagFilter
from brm.core.ordering import StableOrderingFilter
from complaints.models import Complaint, ComplaintQuerySet, Feedback, FeedbackKind, Severity, Status
from stakeholders.filters import SearchFilterSet, _visible_units
from stakeholders.models import managed_by


class ComplaintFilterSet(SearchFilterSet):
    search_fields = ("reference", "title", "description")
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    severity = filters.MultipleChoiceFilter(choices=Severity.choices)
    status = filters.MultipleChoiceFilter(choices=Status.choices)
    overdue = FlagFilter(method="filter_overdue", label=_("Overdue only"))
    mine = FlagFilter(method="filter_mine", label=_("Only mine"))
    escalated = FlagFilter(method="filter_escalated", label=_("Escalated only"))
    handler = filters.CharFilter(
        method="filter_handler",
        label=_("Handler"),
        help_text=_("`me` for the complaints you handle (your queue), or a user's id."),
        validators=[RegexValidator(r"^(me|[0-9]{1,18})$", "Give `me` or a user's id.")],
    )
    ordering = StableOrderingFilter(
        fields=(
            ("due_at", "deadline"),
            "created_at",
            "severity",
            "status",
            "escalation_level",
            ("unit__name", "unit"),
        )
    )

    class Meta:
        model = Complaint
        fields = ["unit", "severity", "status", "service", "escalation_level"]

    def filter_overdue(
        self, queryset: ComplaintQuerySet, name: str, value: bool | None
    ) -> ComplaintQuerySet:
        if value is None:
            return queryset
        late = queryset.overdue(timezone.now())
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    def filter_mine(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if not value or self.request is None:
            return queryset
        user = self.request.user
        return queryset.filter(Q(complainant=user) | managed_by(user, "unit__"))

    def filter_handler(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value:
            return queryset
        if value == "me":
            user = self.request.user if self.request is not None else None
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.filter(handler=user.pk)
        return queryset.filter(handler=int(value))

    def filter_escalated(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if value is None:
            return queryset
        return (
            queryset.filter(escalation_level__gt=0)
            if value
            else queryset.filter(escalation_level=0)
        )


class FeedbackFilterSet(SearchFilterSet):
    search_fields = ("message", "about_team")
    kind = filters.ChoiceFilter(choices=FeedbackKind.choices)
    unit = filters.ModelChoiceFilter(
        queryset=_visible_units,  # type: ignore[arg-type]  # stubs: no callable(request)
    )
    ordering = StableOrderingFilter(fields=("created_at",))

    class Meta:
        model = Feedback
        fields = ["kind", "unit", "about_person"]


__all__ = ["ComplaintFilterSet", "FeedbackFilterSet"]
