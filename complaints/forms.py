"""Forms for complaints and feedback. Business words for business users."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from brm.forms import StyledFormMixin
from brm.roles import Role, leader_unit_id, role_of
from complaints.models import Complaint, FeedbackKind, FollowUpKind, Severity
from portfolio.models import Service
from stakeholders.forms import UserChoiceField, it_people
from stakeholders.models import BusinessUnit

User = get_user_model()

SEVERITY_HELP = {
    "low": "Low — an annoyance; we can work around it",
    "medium": "Medium — it slows our work down",
    "high": "High — important work is blocked or at risk",
    "critical": "Critical — the business is seriously harmed right now",
}


class ComplaintForm(StyledFormMixin, forms.ModelForm):
    """File a complaint in plain language. A leader's unit is their own; IT staff pick one."""

    severity = forms.ChoiceField(
        choices=[(s.value, SEVERITY_HELP[s.value]) for s in Severity],
        initial=Severity.MEDIUM,
        widget=forms.RadioSelect,
        label="How bad is it?",
    )

    class Meta:
        model = Complaint
        fields = ["unit", "title", "description", "service", "severity", "remedy_requested"]
        labels = {
            "title": "In one line, what is wrong?",
            "description": "What happened?",
            "service": "Which IT service (if you know)",
            "remedy_requested": "What would put it right for you? (optional)",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "remedy_requested": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["description"].required = True
        if role_of(user) == Role.LEADER:
            del self.fields["unit"]
            self.unit = BusinessUnit.objects.filter(pk=leader_unit_id(user)).first()
        else:
            self.unit = None
            self.fields["unit"].queryset = BusinessUnit.objects.editable_by(user).filter(
                active=True
            )
        self.fields["service"].queryset = Service.objects.visible_to(user).order_by("name")
        self.fields["service"].empty_label = "I don't know"

    def clean_title(self):  # type: ignore[no-untyped-def]
        value = self.cleaned_data["title"].strip()
        if not value:
            raise forms.ValidationError("Give the complaint a short title.")
        return value

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if "unit" not in self.fields and self.unit is None:
            raise forms.ValidationError(
                "Your login is not linked to a business unit yet; ask your relationship manager."
            )
        return data

    def chosen_unit(self) -> BusinessUnit:
        return self.cleaned_data.get("unit") or self.unit  # type: ignore[return-value]


class TransitionForm(StyledFormMixin, forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label="Comment"
    )


class CommentForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label="Add a comment"
    )


class RatingForm(StyledFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How well was it resolved? (1 poor – 5 excellent)",
    )
    comment = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Anything to add? (optional)",
    )


class FollowUpForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(choices=FollowUpKind.choices, label="The fix needs")
    reference = forms.CharField(max_length=200, label="Reference", help_text="e.g. CR-118")


class FollowUpDoneForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Outcome (the complainant is told)",
    )


class FeedbackForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=FeedbackKind.choices,
        widget=forms.RadioSelect,
        initial=FeedbackKind.COMPLIMENT,
        label="What would you like to share?",
    )
    about_person = UserChoiceField(
        queryset=User.objects.none(), required=False, label="A person in IT (optional)"
    )
    about_team = forms.CharField(
        max_length=120, required=False, label="Or a team in IT", help_text="e.g. Service desk"
    )
    message = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(), required=False, label="On behalf of business unit"
    )

    def __init__(self, *args, user, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["about_person"].queryset = it_people()
        if role_of(user) == Role.LEADER:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = BusinessUnit.objects.visible_to(user).filter(active=True)

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if not data.get("about_person") and not (data.get("about_team") or "").strip():
            self.add_error("about_team", "Say which team or person in IT it is for.")
        return data
