"""Forms of the demand portfolio. Business words for the people who submit and sponsor."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from brm.core.forms import StyledFormMixin
from brm.core.roles import Role, role_of
from portfolio.models.demand import BenefitKind, Demand, StrategicObjective, Urgency
from stakeholders.models import BusinessUnit, Stakeholder

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

MONEY_FIELD: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class DemandForm(StyledFormMixin, forms.Form):
    """Submit an idea or need. A leader's unit is their own; a BRM picks a unit they manage."""

    unit = forms.ModelChoiceField(queryset=BusinessUnit.objects.none(), label=_("Business unit"))
    title = forms.CharField(max_length=200, label=_("In one line, what do you need?"))
    problem = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("What is the problem today?"),
    )
    outcome = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What should be different when it is done?"),
    )
    urgency = forms.ChoiceField(
        choices=Urgency.choices,
        initial=Urgency.MEDIUM,
        widget=forms.RadioSelect,
        label=_("How soon is it needed?"),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if role_of(user) == Role.LEADER:
            del self.fields["unit"]
        else:
            self.model_choice("unit").queryset = BusinessUnit.objects.editable_by(user).filter(
                active=True
            )


class BusinessCaseForm(StyledFormMixin, forms.Form):
    """The business case the BRM builds with the sponsor; the score comes from it."""

    sponsor = forms.ModelChoiceField(queryset=Stakeholder.objects.none(), required=False)
    benefit_kind = forms.ChoiceField(
        choices=[("", "—"), *BenefitKind.choices], required=False, label=_("Kind of benefit")
    )
    expected_benefit = forms.DecimalField(
        **MONEY_FIELD, required=False, label=_("Expected benefit per year")
    )
    estimated_cost = forms.DecimalField(**MONEY_FIELD, required=False, label=_("Estimated cost"))
    objectives = forms.ModelMultipleChoiceField(
        queryset=StrategicObjective.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Strategic objectives it serves"),
    )
    alignment = forms.TypedChoiceField(
        choices=[("", "—"), *[(i, str(i)) for i in range(6)]],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Strategic alignment (0-5)"),
    )
    risk = forms.TypedChoiceField(
        choices=[("", "—"), *[(i, str(i)) for i in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Delivery risk (1 low - 5 high)"),
    )
    effort = forms.TypedChoiceField(
        choices=[("", "—"), *[(i, str(i)) for i in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Effort (1 small - 5 large)"),
    )

    def __init__(self, *args: Any, demand: Demand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.track_version(demand)  # a case opened before someone else's save is refused
        self.model_choice("sponsor").queryset = Stakeholder.objects.filter(
            unit_id=demand.unit_id, active=True
        )


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=2000, required=False)


class OverrideForm(StyledFormMixin, forms.Form):
    rank = forms.IntegerField(
        min_value=1, max_value=10000, required=False, label=_("Position (empty: back to score)")
    )
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Why (required)")
    )


class BenefitForm(StyledFormMixin, forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    planned_amount = forms.DecimalField(**MONEY_FIELD, label=_("Planned"))
    realised_amount = forms.DecimalField(**MONEY_FIELD, label=_("Realised"))
    note = forms.CharField(max_length=2000, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end <= start:
            self.add_error("period_end", _("The period must end after it starts."))
        return data
