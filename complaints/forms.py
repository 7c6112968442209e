"""Forms for complaints and feedback. Business words for business users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from brm.core.forms import StyledFormMixin
from brm.core.roles import Role, leader_unit_id, role_of
from complaints.follow_up import LINKS, open_work
from complaints.models import Complaint, FeedbackKind, FollowUpKind, Severity
from complaints.permissions import possible_handlers
from portfolio.models import Service
from portfolio.selectors.catalogue import consumed_by_any, consumed_services
from stakeholders.forms import UserChoiceField, it_people
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from brm.core.roles import AnyUser

User = get_user_model()

SEVERITY_HELP = {
    "low": _("Low — an annoyance; we can work around it"),
    "medium": _("Medium — it slows our work down"),
    "high": _("High — important work is blocked or at risk"),
    "critical": _("Critical — the business is seriously harmed right now"),
}


class ComplaintForm(StyledFormMixin, forms.ModelForm[Complaint]):
    """File a complaint in plain language. A leader's unit is their own; IT staff pick one."""

    severity = forms.ChoiceField(
        choices=[(s.value, SEVERITY_HELP[s.value]) for s in Severity],
        initial=Severity.MEDIUM,
        widget=forms.RadioSelect,
        label=_("How bad is it?"),
    )

    class Meta:
        model = Complaint
        fields = ["unit", "title", "description", "service", "severity", "remedy_requested"]
        labels = {
            "title": _("In one line, what is wrong?"),
            "description": _("What happened?"),
            "service": _("Which IT service (if you know)"),
            "remedy_requested": _("What would put it right for you? (optional)"),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "remedy_requested": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].required = True
        if role_of(user) == Role.LEADER:
            del self.fields["unit"]
            own = leader_unit_id(user)
            self.unit = BusinessUnit.objects.filter(pk=own).first() if own else None
            services = consumed_services(own) if own else Service.objects.none()
        else:
            self.unit = None
            units = BusinessUnit.objects.editable_by(user).filter(active=True)
            self.model_choice("unit").queryset = units
            # Services of the units offered; `file_complaint` checks the unit chosen consumes it.
            services = consumed_by_any(units.values_list("pk", flat=True))
        self.model_choice("service").queryset = services
        self.model_choice("service").empty_label = "I don't know"

    def clean_title(self) -> str:
        value: str = self.cleaned_data["title"].strip()
        if not value:
            raise forms.ValidationError(_("Give the complaint a short title."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "unit" not in self.fields and self.unit is None:
            raise forms.ValidationError(
                _("Your login is not linked to a business unit yet; ask your relationship manager.")
            )
        return data

    def chosen_unit(self) -> BusinessUnit:
        # clean() refuses a form that leaves no unit, so one of the two is set here.
        return self.cleaned_data.get("unit") or self.unit  # type: ignore[return-value]


class TransitionForm(StyledFormMixin, forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Comment")
    )


class AssignForm(StyledFormMixin, forms.Form):
    """Choose the complaint's handler (`possible_handlers`: people in IT); a reassignment says
    why (`assign_complaint` requires it). `version` is the complaint's version the page showed:
    a complaint changed meanwhile is refused (412) rather than reassigned unseen."""

    handler = UserChoiceField(queryset=User.objects.none(), label=_("Complaint handler"))
    reason = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why (required when reassigning)"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"handler": complaint.handler_id, "version": complaint.version}
        )
        super().__init__(*args, **kwargs)
        self.model_choice("handler").queryset = possible_handlers()
        if complaint.handler_id is not None:  # a reassignment: the browser asks for the reason
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = "Say why you are reassigning it."


class CommentForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Add a comment")
    )


# What each point of the 1-5 resolution rating means, shown on every button (issue 15), in the
# reader's language (a context of its own: Spanish agrees them with "valoración").
RATING_LABELS: dict[int, StrOrPromise] = {
    1: pgettext_lazy("resolution rating", "Poor"),
    2: pgettext_lazy("resolution rating", "Fair"),
    3: pgettext_lazy("resolution rating", "Good"),
    4: pgettext_lazy("resolution rating", "Very good"),
    5: pgettext_lazy("resolution rating", "Excellent"),
}


class RatingForm(StyledFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(i, format_lazy("{} · {}", i, label)) for i, label in RATING_LABELS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        label=_("How well was it resolved? (1 poor – 5 excellent)"),
    )
    comment = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Anything to add? (optional)"),
    )


NEW_COMMITMENT = "new"
OUTSIDE_WORK = "outside"


class FollowUpForm(StyledFormMixin, forms.Form):
    """Pick the unit's open change request, demand or commitment, create a commitment, or name
    work outside this system. Only the complaint's unit's open work is offered (and accepted)."""

    work = forms.ChoiceField(required=False, label=_("The fix needs"))
    title = forms.CharField(
        max_length=200, required=False, label=_("New commitment: what IT will do")
    )
    due_date = forms.DateField(
        required=False, label=_("Due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        choices=[("", "—"), *FollowUpKind.choices], required=False, label=_("Outside work is")
    )
    reference = forms.CharField(
        max_length=200,
        required=False,
        label=_("Reference or note"),
        help_text=_("Required for outside work, e.g. CR-118."),
    )

    def __init__(self, *args: Any, complaint: Complaint, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records: dict[str, object] = {}
        groups: list[tuple[StrOrPromise, object]] = [("", _("Choose…"))]
        for link, heading in zip(
            LINKS, (_("Change requests"), _("Demands"), _("Commitments")), strict=True
        ):
            options = []
            for record in open_work(link, complaint, user):
                value = f"{link.param}:{record.pk}"
                self.records[value] = record
                options.append((value, f"{record} ({record.get_status_display().lower()})"))
            if options:
                groups.append((heading, options))
        groups.append(
            (
                "Other",
                [
                    (NEW_COMMITMENT, _("Create a commitment for this")),
                    (OUTSIDE_WORK, _("Work outside this system (give its reference)")),
                ],
            )
        )
        work = self.fields["work"]
        assert isinstance(work, forms.ChoiceField)  # declared above
        work.choices = groups

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        choice = data.get("work") or ""
        if not choice and (data.get("reference") or "").strip():
            choice = OUTSIDE_WORK  # the reference alone names outside work
        data["choice"] = choice
        data["record"] = self.records.get(choice)
        if choice == NEW_COMMITMENT:
            if not (data.get("title") or "").strip():
                self.add_error("title", _("Say what IT commits to do."))
            if not data.get("due_date"):
                self.add_error("due_date", _("Give a due date."))
        elif choice == OUTSIDE_WORK:
            if not data.get("kind"):
                self.add_error("kind", _("Choose a change, a demand or an improvement."))
            if not (data.get("reference") or "").strip():
                self.add_error("reference", _("Give the outside work's reference."))
        elif data["record"] is None and "work" not in self.errors:
            self.add_error("work", _("Choose the work the fix needs."))
        return data


class FollowUpDoneForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Outcome (the complainant is told)"),
    )


class FeedbackForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=FeedbackKind.choices,
        widget=forms.RadioSelect,
        initial=FeedbackKind.COMPLIMENT,
        label=_("What would you like to share?"),
    )
    about_person = UserChoiceField(
        queryset=User.objects.none(), required=False, label=_("A person in IT (optional)")
    )
    about_team = forms.CharField(
        max_length=120, required=False, label=_("Or a team in IT"), help_text=_("e.g. Service desk")
    )
    message = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(), required=False, label=_("On behalf of business unit")
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice("about_person").queryset = it_people()
        if role_of(user) == Role.LEADER:
            del self.fields["unit"]
        else:
            # The units the author works with (`may_leave_feedback`): none for IT leadership.
            self.model_choice("unit").queryset = BusinessUnit.objects.editable_by(user).filter(
                active=True
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("about_person") and not (data.get("about_team") or "").strip():
            self.add_error("about_team", _("Say which team or person in IT it is for."))
        return data
