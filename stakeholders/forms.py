"""Forms of the stakeholder register. Validation lives here and in the models, not in views."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.forms import StyledFormMixin, share_choices
from brm.core.roles import GROUP_NAMES, Role, stored_user
from stakeholders import selectors
from stakeholders.models import (
    ActionItem,
    BusinessUnit,
    Interaction,
    OwnerSide,
    Sentiment,
    Stakeholder,
)
from stakeholders.services import CommitmentInput

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser

    from brm.core.roles import AnyUser

User = get_user_model()


def it_people() -> QuerySet[AuthUser]:
    return (
        User.objects.filter(
            is_active=True, groups__name__in=[GROUP_NAMES[Role.BRM], GROUP_NAMES[Role.EXECUTIVE]]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField["AuthUser"]):
    def label_from_instance(self, obj: AuthUser) -> str:
        return obj.get_full_name() or obj.get_username()


class UserMultipleChoiceField(forms.ModelMultipleChoiceField["AuthUser"]):
    def label_from_instance(self, obj: AuthUser) -> str:
        return obj.get_full_name() or obj.get_username()


class StakeholderForm(StyledFormMixin, forms.ModelForm[Stakeholder]):
    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "job_title",
            "unit",
            "role_type",
            "influence",
            "interest",
            "email",
            "phone",
            "preferred_channel",
            "active",
        ]
        widgets = {
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "interest": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only units the user may change are offered, and only those are accepted.
        self.model_choice("unit").queryset = BusinessUnit.objects.editable_by(user).filter(
            active=True
        )


class InteractionForm(StyledFormMixin, forms.ModelForm[Interaction]):
    """Log a meeting. Attendees are the unit's stakeholders; IT participants are IT staff."""

    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    sentiment = forms.TypedChoiceField(
        choices=Sentiment.choices,
        coerce=int,
        initial=Sentiment.NEUTRAL,
        widget=forms.RadioSelect,
        help_text=_("How did the business side feel about IT in this meeting?"),
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Who attended from the business"),
    )
    it_participants = UserMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        label=_("IT participants"),
        help_text=_("Leave empty if it was just you."),
    )

    class Meta:
        model = Interaction
        fields = [
            "kind",
            "occurred_at",
            "attendees",
            "it_participants",
            "summary",
            "sentiment",
            "notes",
        ]
        widgets = {
            "summary": forms.TextInput(attrs={"placeholder": _("What was discussed, in one line")}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"notes": "Private notes (never shown to the business)"}

    def __init__(self, *args: Any, unit: BusinessUnit, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.model_choice("attendees").queryset = Stakeholder.objects.filter(unit=unit, active=True)
        self.model_choice("it_participants").queryset = it_people()

    def clean_occurred_at(self) -> datetime:
        value: datetime = self.cleaned_data["occurred_at"]
        if value > timezone.now() + timedelta(hours=1):
            raise forms.ValidationError(_("A meeting is logged after it happens, not before."))
        return value


class CommitmentForm(StyledFormMixin, forms.Form):
    """One commitment made in the meeting. A row left blank is ignored."""

    title = forms.CharField(max_length=200, required=False, label=_("Commitment"))
    owner_side = forms.ChoiceField(choices=OwnerSide.choices, initial=OwnerSide.IT, label=_("Who"))
    owner = UserChoiceField(queryset=User.objects.none(), required=False, label=_("IT owner"))
    owner_stakeholder = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(), required=False, label=_("Business owner")
    )
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Due")
    )

    def __init__(self, *args: Any, unit: BusinessUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice("owner").queryset = it_people()
        self.model_choice("owner_stakeholder").queryset = Stakeholder.objects.filter(
            unit=unit, active=True
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("title"):
            return data  # empty row
        if not data.get("due_date"):
            self.add_error("due_date", _("A commitment needs a due date."))
        elif data["due_date"] < timezone.localdate() - timedelta(days=1):
            self.add_error("due_date", _("The due date is in the past."))
        if data.get("owner_side") == OwnerSide.BUSINESS and not data.get("owner_stakeholder"):
            self.add_error("owner_stakeholder", _("Who on the business side will do it?"))
        return data

    def to_input(self, actor: AnyUser) -> CommitmentInput | None:
        data = self.cleaned_data
        if not data.get("title"):
            return None
        return CommitmentInput(
            title=data["title"],
            due_date=data["due_date"],
            owner_side=data["owner_side"],
            owner=data.get("owner")
            or (stored_user(actor) if data["owner_side"] == OwnerSide.IT else None),
            owner_stakeholder=data.get("owner_stakeholder"),
        )


class BaseCommitmentFormSet(forms.BaseFormSet[Any]):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        kwargs["unit"] = self.form_kwargs["unit"]
        return kwargs


CommitmentFormSet = forms.formset_factory(
    CommitmentForm, formset=BaseCommitmentFormSet, extra=2, max_num=5, validate_max=True
)


def meeting_forms(
    unit: BusinessUnit, data: Any = None
) -> tuple[InteractionForm, forms.BaseFormSet[Any]]:
    """The log-a-meeting form and its commitment rows for `unit`, bound to `data` (a POST) or
    blank. The meeting and each row offer the same people, so their choices are filled from two
    queries in all (the unit's active people, IT staff) rather than two per row."""
    form = InteractionForm(data, unit=unit)
    formset = CommitmentFormSet(data, form_kwargs={"unit": unit}, prefix="c")
    share_choices(
        [form.model_choice("attendees"), *(f.model_choice("owner_stakeholder") for f in formset)]
    )
    share_choices(
        [form.model_choice("it_participants"), *(f.model_choice("owner") for f in formset)]
    )
    return form, formset


class ActionItemForm(StyledFormMixin, forms.ModelForm[ActionItem]):
    class Meta:
        model = ActionItem
        fields = ["title", "description", "owner_side", "owner", "owner_stakeholder", "due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"owner": UserChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice("owner").queryset = it_people()
        self.model_choice("owner_stakeholder").queryset = Stakeholder.objects.filter(
            unit=self.instance.unit, active=True
        )


class DropForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(max_length=500, label=_("Why is it dropped?"))


class ReassignForm(StyledFormMixin, forms.Form):
    new_brm = UserChoiceField(
        queryset=User.objects.none(), required=False, label=_("New relationship manager")
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Handover note"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice("new_brm").queryset = selectors.relationship_managers()
