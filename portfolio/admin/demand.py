"""Admin of the demand portfolio. Status moves only through the workflow (API or pages), so it
is read-only here; the weights singleton re-scores every demand when saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
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
class StrategicObjectiveAdmin(VersionedAdminMixin, SimpleHistoryAdmin[StrategicObjective]):
    list_display = ["name", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "description"]


class StatusChangeInline(admin.TabularInline[DemandStatusChange, Demand]):
    model = DemandStatusChange
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Demand | None = None) -> bool:
        return False


@admin.register(Demand)
class DemandAdmin(VersionedAdminMixin, SimpleHistoryAdmin[Demand]):
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

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        rescore_all()


@admin.register(BenefitRecord)
class BenefitRecordAdmin(VersionedAdminMixin, SimpleHistoryAdmin[BenefitRecord]):
    list_display = ["demand", "period_start", "planned_amount", "realised_amount", "confirmed_at"]
    list_filter = ["confirmed_at"]
    readonly_fields = ["confirmed_by", "confirmed_at"]


@admin.register(BenefitAttestation)
class BenefitAttestationAdmin(admin.ModelAdmin[BenefitAttestation]):
    list_display = ["demand", "round", "due_on", "sent_at", "recipients", "answered_at"]
    readonly_fields = ["demand", "round", "due_on", "sent_at", "recipients", "answered_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(DemandSettings)
class DemandSettingsAdmin(admin.ModelAdmin[DemandSettings]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DemandSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: DemandSettings | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: DemandSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        n = rescore_all()
        messages.info(
            request,
            ngettext(
                "Weights saved; %(count)s demand score recomputed.",
                "Weights saved; %(count)s demand scores recomputed.",
                n,
            )
            % {"count": n},
        )
