"""Admin of the demand portfolio. Status moves only through the workflow (API or pages), so it
is read-only here; the weights singleton re-scores every demand when saved."""

from __future__ import annotations

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from portfolio.models.demand import (
    BenefitAttestation,
    BenefitRecord,
    Demand,
    DemandSettings,
    DemandStatusChange,
    StrategicObjective,
)
from portfolio.services.demand import rescore_all


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ["name", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "description"]


class StatusChangeInline(admin.TabularInline):
    model = DemandStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Demand)
class DemandAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "unit", "status", "priority_score", "rank_override"]
    list_filter = ["status", "unit"]
    search_fields = ["title", "problem"]
    readonly_fields = [
        "status",
        "status_reason",
        "priority_score",
        "rank_override",
        "override_reason",
        "override_by",
        "override_at",
        "delivered_at",
    ]
    filter_horizontal = ["objectives"]
    inlines = [StatusChangeInline]

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        rescore_all()


@admin.register(BenefitRecord)
class BenefitRecordAdmin(SimpleHistoryAdmin):
    list_display = ["demand", "period_start", "planned_amount", "realised_amount", "confirmed_at"]
    list_filter = ["confirmed_at"]
    readonly_fields = ["confirmed_by", "confirmed_at"]


@admin.register(BenefitAttestation)
class BenefitAttestationAdmin(admin.ModelAdmin):
    list_display = ["demand", "round", "due_on", "sent_at", "recipients", "answered_at"]
    readonly_fields = ["demand", "round", "due_on", "sent_at", "recipients", "answered_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(DemandSettings)
class DemandSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not DemandSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        n = rescore_all()
        messages.info(request, f"Weights saved; {n} demand score(s) recomputed.")
