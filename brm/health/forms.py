from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brm.core.forms import StyledFormMixin
from brm.health.models import MaturityAssessment, MaturityLevel


class MaturityForm(StyledFormMixin, forms.ModelForm[MaturityAssessment]):
    level = forms.TypedChoiceField(
        choices=MaturityLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        label=_("Where is the relationship today?"),
    )

    class Meta:
        model = MaturityAssessment
        fields = ["level", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}
        labels = {"comment": "Why (optional)"}


class PlanActionForm(StyledFormMixin, forms.Form):
    title = forms.CharField(max_length=200, label=_("Action"))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Due"))
