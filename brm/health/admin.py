"""Admin for relationship health: settings, snapshots, plans, maturity ratings, digest log."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from brm.health.models import (
    DigestLog,
    HealthSettings,
    HealthSnapshot,
    ImprovementPlan,
    MaturityAssessment,
)


@admin.register(HealthSettings)
class HealthSettingsAdmin(admin.ModelAdmin[HealthSettings]):
    """Weights and thresholds of the relationship-health score (one row)."""

    fieldsets = [
        (
            "Weights",
            {
                "fields": [
                    f"weight_{n}"
                    for n in ("perception", "delivery", "complaints", "engagement", "commitments")
                ]
            },
        ),
        ("Bands", {"fields": ["green_from", "amber_from"]}),
        (
            "Watermelon",
            {
                "fields": [
                    "watermelon_delivery_from",
                    "watermelon_perception_below",
                    "watermelon_perception_drop",
                    "watermelon_min_answers",
                ]
            },
        ),
        ("Windows", {"fields": ["window_days"]}),
        (
            "Expected contact, days, by stakeholder-map quadrant",
            {
                "fields": [
                    "contact_days_manage",
                    "contact_days_satisfy",
                    "contact_days_inform",
                    "contact_days_monitor",
                ]
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not HealthSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: HealthSettings | None = None
    ) -> bool:
        return False


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin[HealthSnapshot]):
    list_display = ["unit", "as_of", "score", "band", "watermelon", "trend"]
    list_filter = ["band", "watermelon", "as_of"]
    search_fields = ["unit__name"]
    list_select_related = ["unit"]
    readonly_fields = [f.name for f in HealthSnapshot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # computed by the engine, never typed in


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(admin.ModelAdmin[ImprovementPlan]):
    list_display = ["unit", "status", "score_at_start", "created_at", "closed_at"]
    list_filter = ["status"]
    list_select_related = ["unit"]


@admin.register(MaturityAssessment)
class MaturityAssessmentAdmin(admin.ModelAdmin[MaturityAssessment]):
    list_display = ["unit", "side", "level", "rated_by", "created_at"]
    list_filter = ["side", "level"]
    list_select_related = ["unit", "rated_by"]


@admin.register(DigestLog)
class DigestLogAdmin(admin.ModelAdmin[DigestLog]):
    list_display = ["week_start", "sent_at", "recipients"]
