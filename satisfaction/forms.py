"""The campaign builder form. The answer form lives in `satisfaction.answering`."""

from __future__ import annotations

from django import forms

from satisfaction.models import Campaign, Schedule, SurveyTemplate
from stakeholders.models import BusinessUnit, RoleType


class CampaignForm(forms.ModelForm):
    units = forms.ModelMultipleChoiceField(
        queryset=BusinessUnit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Units you manage. Everyone active in them is a candidate.",
    )
    role_types = forms.MultipleChoiceField(
        choices=RoleType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to ask every role.",
    )
    next_run_at = forms.DateTimeField(
        required=False,
        label="First send",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Empty: as soon as you schedule it.",
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
            "sample_size": "Random sample size",
            "interval_days": "Every how many days",
            "max_reminders": "Reminders at most",
            "reminder_days": "Days between reminders",
            "anonymous": "Anonymous (aggregates only)",
        }

    def __init__(self, *args, units=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units if units is not None else BusinessUnit.objects.none()
        self.fields["template"].queryset = SurveyTemplate.objects.filter(active=True)
        self.fields["schedule"].choices = Schedule.choices
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("schedule") == Schedule.EVERY_N_DAYS and not data.get("interval_days"):
            self.add_error("interval_days", "Say how many days apart the runs are.")
        return data
