from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from stakeholders import services
from stakeholders.models import ActionItem, BusinessUnit, Handover, Interaction, Stakeholder


@admin.register(BusinessUnit)
class BusinessUnitAdmin(SimpleHistoryAdmin[BusinessUnit]):
    list_display = ["name", "code", "parent", "brm", "deputy", "review_cadence_days", "active"]
    list_filter = ["active", "brm"]
    search_fields = ["name", "code"]
    list_select_related = ["parent", "brm", "deputy"]
    autocomplete_fields = ["parent"]

    def save_model(self, request: HttpRequest, obj: BusinessUnit, form: Any, change: bool) -> None:
        # A BRM change made here is a handover like any other: recorded and the pack sent.
        if change and "brm" in form.changed_data:
            new_brm = obj.brm
            obj.brm = BusinessUnit.objects.get(pk=obj.pk).brm
            super().save_model(request, obj, form, change)
            services.reassign_brm(obj, new_brm=new_brm, actor=request.user)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)


@admin.register(Stakeholder)
class StakeholderAdmin(SimpleHistoryAdmin[Stakeholder]):
    list_display = ["name", "unit", "role_type", "influence", "interest", "user", "active"]
    list_filter = ["role_type", "active", "influence", "interest", "unit"]
    search_fields = ["name", "email", "job_title", "external_id"]
    list_select_related = ["unit", "user"]
    autocomplete_fields = ["unit", "user"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin[Interaction]):
    list_display = ["summary", "unit", "kind", "occurred_at", "sentiment", "logged_by"]
    list_filter = ["kind", "sentiment", "unit"]
    search_fields = ["summary"]
    date_hierarchy = "occurred_at"
    list_select_related = ["unit", "logged_by"]
    autocomplete_fields = ["unit", "attendees"]
    filter_horizontal = ["it_participants"]


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin[ActionItem]):
    list_display = [
        "title",
        "unit",
        "owner_side",
        "owner",
        "owner_stakeholder",
        "due_date",
        "status",
    ]
    list_filter = ["status", "owner_side", "unit"]
    search_fields = ["title", "description"]
    date_hierarchy = "due_date"
    list_select_related = ["unit", "owner", "owner_stakeholder"]
    autocomplete_fields = ["unit", "owner_stakeholder", "interaction"]
    raw_id_fields = ["owner"]


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin[Handover]):
    list_display = ["unit", "from_brm", "to_brm", "created_at", "pack_sent_at"]
    list_select_related = ["unit", "from_brm", "to_brm"]
    readonly_fields = ["unit", "from_brm", "to_brm", "handed_over_by", "pack_sent_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # handovers are made by reassigning a unit's BRM
