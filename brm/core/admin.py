"""Admin for the kernel's records: API tokens and the outbox of emails."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from brm.core import delivery
from brm.core.models import AddressOptOut, ApiToken, OutboundEmail, UserPreference


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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    """Every notification email and where it stands; read-only, since the delivery path owns
    the state. Emails given up on can be sent again once the cause is fixed."""

    list_display = ["key", "state", "attempts", "created_at", "sent_at", "recipients"]
    list_filter = ["state", "kind"]
    search_fields = ["key", "message_id", "recipients"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_outboundemail")

    @admin.action(description="Send the selected failed emails again", permissions=["send_again"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = delivery.retry_failed(queryset)
        self.message_user(request, f"{count} email(s) will be sent again by the next sweep.")


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin[UserPreference]):
    """Each user's time zone and notification preferences (validated on save)."""

    list_display = ["user", "time_zone", "updated_at"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(AddressOptOut)
class AddressOptOutAdmin(admin.ModelAdmin[AddressOptOut]):
    """Addresses without a login that unsubscribed from a kind of email ("*": all)."""

    list_display = ["email", "kind", "created_at"]
    search_fields = ["email"]
