"""Admin: complaints move only through the workflow; the timeline is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
from complaints import workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    Feedback,
    PublicHoliday,
    Status,
)

EVENT_FIELDS = (
    "created_at",
    "cycle",
    "kind",
    "actor",
    "from_status",
    "to_status",
    "level",
    "comment",
)


class ReadOnlyAdminMixin:
    """No add, change or delete: for records that are a log of what happened."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline[ComplaintEvent, Complaint]):
    model = ComplaintEvent
    fields = readonly_fields = EVENT_FIELDS
    extra = 0
    can_delete = False


class ComplaintAdminForm(forms.ModelForm[Complaint]):
    """The admin changes status like everyone else: through the workflow, with a comment."""

    transition_to = forms.ChoiceField(
        choices=[("", _("— keep —")), *Status.choices], required=False, label=_("Move to status")
    )
    transition_comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Comment on the move")
    )

    class Meta:
        model = Complaint
        fields = ["title", "description", "remedy_requested", "service", "severity"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("transition_to") and not (data.get("transition_comment") or "").strip():
            raise ValidationError({"transition_comment": gettext("Add a comment saying why.")})
        return data


@admin.register(Complaint)
class ComplaintAdmin(VersionedAdminMixin, SimpleHistoryAdmin[Complaint]):
    """Complaints: text and severity; the status through the workflow; the handler only through
    `assign_complaint` (the complaint's page or API), so it is read-only here."""

    form = ComplaintAdminForm
    list_display = [
        "reference",
        "title",
        "unit",
        "handler",
        "severity",
        "status",
        "escalation_level",
        "resolve_by",
    ]
    list_filter = ["status", "severity", "escalation_level", "unit"]
    search_fields = ["reference", "title", "description"]
    list_select_related = ["unit", "handler"]
    readonly_fields = [
        "reference",
        "unit",
        "complainant",
        "handler",
        "status",
        "escalation_level",
        "cycle",
        "cycle_started_at",
        "acknowledge_by",
        "resolve_by",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "resolution",
        "resolution_rating",
        "rated_at",
        "follow_up_kind",
        "follow_up_reference",
        "follow_up_done_at",
        "follow_up_outcome",
    ]
    inlines = [ComplaintEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # complaints are filed through the form or the API, which set deadlines

    def has_delete_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False  # the timeline must survive

    def save_model(self, request: HttpRequest, obj: Complaint, form: Any, change: bool) -> None:
        if change and "severity" in form.changed_data:
            obj.retarget(ComplaintSettings.get())  # the cycle's deadlines follow the severity
        super().save_model(request, obj, form, change)
        target = form.cleaned_data.get("transition_to")
        if target and target != obj.status:
            try:
                workflow.transition_complaint(
                    obj,
                    target,
                    actor=request.user,
                    comment=form.cleaned_data["transition_comment"],
                )
            except (workflow.TransitionError, workflow.InputError) as exc:
                messages.error(request, gettext("Status not changed: %(reason)s") % {"reason": exc})


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ComplaintEvent]):
    list_display = ["complaint", "kind", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["complaint", "actor"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_staff


@admin.register(ComplaintNotification)
class ComplaintNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ComplaintNotification]):
    list_display = ["complaint", "kind", "level", "recipients", "created_at", "sent_at"]
    list_filter = ["kind", "level"]
    list_select_related = ["complaint"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_staff


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin[ComplaintSettings]):
    raw_id_fields = ["head_of_brm"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ComplaintSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: ComplaintSettings | None = None
    ) -> bool:
        return False


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin[PublicHoliday]):
    """Days off for complaint targets besides the country's public holidays."""

    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin[Feedback]):
    list_display = ["kind", "about_team", "about_person", "unit", "author", "created_at"]
    list_filter = ["kind", "unit"]
    search_fields = ["message", "about_team"]
    list_select_related = ["unit", "about_person", "author"]
    raw_id_fields = ["author", "about_person"]
