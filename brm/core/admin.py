"""Admin for the kernel's records: API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from brm.core.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are shown once, at creation; afterwards only their id and usage are visible."""

    list_display = [
        "name",
        "user",
        "key_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "key_id"]
    fields = ["user", "name", "expires_at", "revoked_at", "key_id", "last_used_at", "created_at"]
    readonly_fields = ["key_id", "last_used_at", "created_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = ApiToken.issue(obj.user, obj.name)
        token.expires_at = obj.expires_at
        token.save(update_fields=["expires_at"])
        obj.pk = token.pk
        messages.warning(request, f"Copy this token now; it will not be shown again: {raw}")

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")
