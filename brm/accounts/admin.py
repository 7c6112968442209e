"""The administrator's claims mapping for single sign-on (one row)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from brm.accounts.models import ClaimsMapping


@admin.register(ClaimsMapping)
class ClaimsMappingAdmin(admin.ModelAdmin[ClaimsMapping]):
    """Which group claim grants which role, and which claim names the person's unit."""

    fields = ["group_claim", "role_by_group", "unit_claim"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ClaimsMapping.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: ClaimsMapping | None = None) -> bool:
        return False
