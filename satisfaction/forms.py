"""The campaign builder form. The answer form lives in `satisfaction.answering`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from brm.core.forms import VersionedFormMixin, model_choice
from satisfaction.models import Campaign, Schedule, SurveyTemplate
from stakeholders.models import BusinessUnit, RoleType


class CampaignForm(VersionedFormMixin, forms.ModelForm[Campaign]):
    units = forms.ModelMultipleChoiceField(
        queryset=BusinessUnit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Units you manage. Everyone active in them is a candidate."),
    )
    role_types = forms.MultipleChoiceField(
        choices=RoleType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to ask every role."),
    )
    next_run_at = forms.DateTimeField(
        required=False,
        label=_("First send"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: as soon as you schedule it."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "template",
            "units",
            "role_types",
            "sample_size",
            "schedule",
            "interval_days",
            "next_run_at",
            "anonymous",
            "max_reminders",
            "reminder_days",
        ]
        labels = {
            "sample_size": _("Random sample size"),
            "interval_days": _("Every how many days"),
            "max_reminders": _("Reminders at most"),
            "reminder_days": _("Days between reminders"),
            "anonymous": _("Anonymous (aggregates only)"),
        }

    def __init__(
        self, *args: Any, units: QuerySet[BusinessUnit] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        offered = units if units is not None else BusinessUnit.objects.none()
        model_choice(self, "units").queryset = offered
        model_choice(self, "template").queryset = SurveyTemplate.objects.filter(active=True)
        schedule = self.fields["schedule"]
        assert isinstance(schedule, forms.ChoiceField)  # a model field with choices
        schedule.choices = Schedule.choices
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("schedule") == Schedule.EVERY_N_DAYS and not data.get("interval_days"):
            self.add_error("interval_days", _("Say how many days apart the runs are."))
        return data
