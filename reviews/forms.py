"""Forms of service reviews. Validation lives here and in the services, not in views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.forms import StyledFormMixin
from portfolio.models import Service
from portfolio.selectors.catalogue import consumed_services
from reviews.models import ChangeKind, ChangeRequest, ChangeStatus, ServiceReview
from stakeholders.forms import UserMultipleChoiceField, it_people
from stakeholders.models import BusinessUnit, Stakeholder

User = get_user_model()

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class ReviewForm(StyledFormMixin, forms.ModelForm[ServiceReview]):
    """Plan a review or change a planned one. Services and attendees are the unit's own."""

    scheduled_at = forms.DateTimeField(
        label=_("When"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Services covered"),
        help_text=_("Leave empty to cover every live service the unit uses."),
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Invited from the business"),
    )
    it_attendees = UserMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        label=_("Invited from IT"),
        help_text=_("Leave empty to invite just yourself."),
    )

    class Meta:
        model = ServiceReview
        fields = [
            "scheduled_at",
            "duration_minutes",
            "location",
            "services",
            "attendees",
            "it_attendees",
            "agenda",
            "period_start",
            "period_end",
        ]
        widgets = {
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"duration_minutes": "Duration (minutes)"}

    def __init__(self, *args: Any, unit: BusinessUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        # Only what the unit consumes (`plan_review`/`update_review` refuse the rest).
        self.model_choice("services").queryset = consumed_services(unit).exclude(
            lifecycle="retired"
        )
        self.model_choice("attendees").queryset = Stakeholder.objects.filter(unit=unit, active=True)
        self.model_choice("it_attendees").queryset = it_people()
        # The pack period follows from the time unless the BRM wants another one.
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        self.fields["period_start"].help_text = "Leave empty: one review cadence before the review."

    def clean_scheduled_at(self) -> datetime:
        value: datetime = self.cleaned_data["scheduled_at"]
        unchanged = self.instance.pk and value == self.instance.scheduled_at
        if not unchanged and value <= timezone.now():
            raise forms.ValidationError(_("A review is planned for a time in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its start."))
        return data

    def _post_clean(self) -> None:
        # The period may be left empty here and filled in by the service.
        pass


class MinutesForm(StyledFormMixin, forms.ModelForm[ServiceReview]):
    class Meta:
        model = ServiceReview
        fields = ["minutes", "outcome"]
        widgets = {
            "minutes": forms.Textarea(attrs={"rows": 8}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"outcome": "Outcome in one or two sentences"}


class ChangeRequestForm(StyledFormMixin, forms.ModelForm[ChangeRequest]):
    kind = forms.ChoiceField(choices=ChangeKind.choices, label=_("Change to"))

    class Meta:
        model = ChangeRequest
        fields = ["kind", "service", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, review: ServiceReview, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice("service").queryset = consumed_services(review.unit)
        self.fields["service"].required = False

    def _post_clean(self) -> None:
        pass  # the review is set by the service


class DecisionForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in ChangeStatus.choices if c[0] != ChangeStatus.RAISED],
        label=_("Decision"),
    )
    decision = forms.CharField(
        required=False, max_length=2000, widget=forms.TextInput(), label=_("Why")
    )
