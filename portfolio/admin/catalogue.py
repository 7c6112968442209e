"""Admin of the service catalogue."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
from portfolio.models.catalogue import Service, ServiceMetric


@admin.register(Service)
class ServiceAdmin(VersionedAdminMixin, SimpleHistoryAdmin[Service]):
    list_display = ["name", "code", "lifecycle", "owner", "availability_target", "workload_limit"]
    list_filter = ["lifecycle"]
    search_fields = ["name", "code", "description"]
    filter_horizontal = ["consumers"]


@admin.register(ServiceMetric)
class ServiceMetricAdmin(VersionedAdminMixin, admin.ModelAdmin[ServiceMetric]):
    list_display = [
        "service",
        "period_start",
        "period_end",
        "availability",
        "incidents",
        "major_incidents",
        "workload",
        "sla_met",
    ]
    list_filter = ["sla_met", "service"]
    date_hierarchy = "period_start"
    list_select_related = ["service"]
