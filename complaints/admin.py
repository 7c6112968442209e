"""Admin: complaints move only through the workflow; the timeline is read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from complaints import workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    Feedback,
    Status,
)


class ReadOnlyAdminMixin:
    """No add, change or delete: for records that are a log of what happened."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "level", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class ComplaintAdminForm(forms.ModelForm):
    """The admin changes status like everyone else: through the workflow, with a comment."""

    transition_to = forms.ChoiceField(
        choices=[("", "— keep —"), *Status.choices], required=False, label="Move to status"
    )
    transition_comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Comment on the move"
    )

    class Meta:
        model = Complaint
        fields = ["title", "description", "remedy_requested", "service", "severity"]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("transition_to") and not (data.get("transition_comment") or "").strip():
            raise ValidationError({"transition_comment": "Add a comment saying why."})
        return data


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    form = ComplaintAdminForm
    list_display = [
        "reference",
        "title",
        "unit",
        "severity",
        "status",
        "escalation_level",
        "resolve_by",
    ]
    list_filter = ["status", "severity", "escalation_level", "unit"]
    search_fields = ["reference", "title", "description"]
    list_select_related = ["unit"]
    readonly_fields = [
        "reference",
        "unit",
        "complainant",
        "status",
        "escalation_level",
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

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # complaints are filed through the form or the API, which set deadlines

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the timeline must survive

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
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
                messages.error(request, f"Status not changed: {exc}")


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "kind", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["complaint", "actor"]

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_staff


@admin.register(ComplaintNotification)
class ComplaintNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "kind", "level", "recipients", "created_at", "sent_at"]
    list_filter = ["kind", "level"]
    list_select_related = ["complaint"]

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_staff


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):
    raw_id_fields = ["head_of_brm"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not ComplaintSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["kind", "about_team", "about_person", "unit", "author", "created_at"]
    list_filter = ["kind", "unit"]
    search_fields = ["message", "about_team"]
    list_select_related = ["unit", "about_person", "author"]
    raw_id_fields = ["author", "about_person"]
