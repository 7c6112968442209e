"""Admin for webhooks: subscriptions (secret shown once), deliveries with every attempt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from brm.core.admin import VersionedAdminMixin
from brm.core.errors import InputError, StateConflict
from brm.core.events import EVENT_TYPES
from brm.webhooks import services
from brm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class WebhookSubscriptionForm(forms.ModelForm[WebhookSubscription]):
    """Event types as checkboxes; URL and event types checked by the same rules as the API."""

    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {label}") for name, label in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "event_types", "units", "owner"]

    def clean_url(self) -> str:
        try:
            return services.clean_url(self.cleaned_data["url"])
        except InputError as exc:
            raise ValidationError(exc.message) from None

    def clean_event_types(self) -> list[str]:
        try:
            return services.clean_event_types(self.cleaned_data["event_types"])
        except InputError as exc:
            raise ValidationError(exc.message) from None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(VersionedAdminMixin, admin.ModelAdmin[WebhookSubscription]):
    """Create (the secret is shown once, in a message), change, rotate, disable, enable."""

    form = WebhookSubscriptionForm
    list_display = ["url", "description", "active", "failure_count", "disabled_at", "owner"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    filter_horizontal = ["units"]
    readonly_fields = [
        "active",
        "failure_count",
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    ]
    actions = ["rotate_secret", "disable", "enable"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return services.may_manage_webhooks(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return services.may_manage_webhooks(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return services.may_manage_webhooks(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return services.may_manage_webhooks(request.user)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.update_subscription(
                obj,
                actor=request.user,
                url=data["url"],
                event_types=data["event_types"],
                units=data.get("units") or [],
                description=data.get("description", ""),
            )
            return
        created, secret = services.create_subscription(
            actor=request.user,
            url=data["url"],
            event_types=data["event_types"],
            units=data.get("units") or [],
            description=data.get("description", ""),
            owner=data.get("owner") or cast("User", request.user),
        )
        # The admin logs and redirects to `obj`: make it the stored subscription.
        obj.pk = created.pk
        obj.secret = created.secret
        obj._state.adding = False
        obj._state.db = created._state.db
        messages.warning(
            request,
            gettext("Copy the signing secret now; it will not be shown again: %(secret)s")
            % {"secret": secret},
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The units were saved by the service in `save_model`; there are no inlines.
        return

    @admin.action(description=_("Rotate the secret of the selected subscriptions"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            secret = services.rotate_secret(subscription, actor=request.user)
            messages.warning(
                request,
                gettext(
                    "New secret for %(url)s (copy it now; the old one keeps signing until "
                    "%(until)s): %(secret)s"
                )
                % {
                    "url": subscription.url,
                    "until": f"{subscription.previous_secret_expires_at:%Y-%m-%d %H:%M %Z}",
                    "secret": secret,
                },
            )

    @admin.action(description=_("Disable the selected subscriptions"))
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.set_active(subscription, False, actor=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%(count)s subscription disabled.", "%(count)s subscriptions disabled.", count)
            % {"count": count},
        )

    @admin.action(description=_("Enable the selected subscriptions"))
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.set_active(subscription, True, actor=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%(count)s subscription enabled.", "%(count)s subscriptions enabled.", count)
            % {"count": count},
        )


class AttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "status_code",
        "duration_ms",
        "response_excerpt",
        "error",
        "will_retry",
    ]
    fields = list(readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """Every delivery and its attempts; read-only, since the sender owns the state. Any
    delivery can be sent again."""

    list_display = [
        "event_type",
        "subscription",
        "state",
        "attempts",
        "last_status",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["message_id", "subscription__url"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return services.may_manage_webhooks(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return services.may_manage_webhooks(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return services.may_manage_webhooks(request.user)

    @admin.action(description=_("Send the selected deliveries again"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent, refused = 0, []
        for delivery in queryset:
            try:
                services.redeliver(delivery, actor=request.user)
                sent += 1
            except StateConflict as exc:
                refused.append(f"{delivery.message_id}: {exc}")
        self.message_user(
            request,
            ngettext("%(count)s delivery queued again.", "%(count)s deliveries queued again.", sent)
            % {"count": sent},
        )
        for note in refused:
            messages.warning(request, note)
