"""Webhook API for administrators: subscriptions (secret shown once), deliveries, attempts.

`/api/v1/webhook-subscriptions/` lists and creates (the answer to the create, and to
`rotate-secret`, is the only time the secret is shown), PATCH changes URL, event types, units
and description, and `disable` / `enable` switch it. `/api/v1/webhook-deliveries/` and
`/api/v1/webhook-attempts/` are read-only logs; `redeliver` sends a delivery again. Every other
role gets 403 (anonymous callers 401).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from brm.core.api_versions import VersionedViewSetMixin
from brm.core.events import EVENT_TYPES
from brm.webhooks import services
from brm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from stakeholders.models import BusinessUnit


class AdministratorsOnly(permissions.BasePermission):
    """Only administrators (`services.may_manage_webhooks`); anonymous callers get 401."""

    message = "Only administrators manage webhooks."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and services.may_manage_webhooks(user))


class WebhookSubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)), allow_empty=False
    )
    units = serializers.PrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(), many=True, required=False
    )
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,  # null when the secret was never rotated
        help_text="Until then the old secret signs too (a second signature).",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "units",
            "active",
            "owner",
            "failure_count",
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "active",
            "owner",
            "failure_count",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]


class CreatedSubscriptionSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret; shown in this answer only."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class RotateSerializer(serializers.Serializer[Any]):
    overlap_seconds = serializers.IntegerField(
        min_value=0,
        max_value=30 * 24 * 3600,
        required=False,
        help_text="How long the old secret keeps signing (default WEBHOOK_SECRET_OVERLAP).",
    )


class SecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(read_only=True)
    previous_secret_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class WebhookAttemptSerializer(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = [
            "id",
            "delivery",
            "number",
            "started_at",
            "status_code",
            "duration_ms",
            "response_excerpt",
            "error",
            "will_retry",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    attempt_log = WebhookAttemptSerializer(source="log", many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "message_id",
            "event_type",
            "unit_id",
            "payload",
            "state",
            "attempts",
            "first_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "last_status",
            "last_error",
            "attempt_log",
            "created_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[WebhookSubscription],
):
    """Webhook subscriptions (administrators). The secret is in the create answer only."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [AdministratorsOnly]
    filterset_fields = ["active"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.prefetch_related("units").order_by("pk")

    @extend_schema(responses={201: CreatedSubscriptionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        subscription, secret = services.create_subscription(
            actor=request.user,
            url=data["url"],
            event_types=data["event_types"],
            units=data.get("units", []),
            description=data.get("description", ""),
        )
        answer = CreatedSubscriptionSerializer(subscription).data
        answer["secret"] = secret
        return Response(answer, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        incoming = self.get_serializer(subscription, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        services.update_subscription(
            subscription,
            actor=request.user,
            url=data.get("url"),
            event_types=data.get("event_types"),
            units=data.get("units"),
            description=data.get("description"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=subscription.pk)).data)

    @extend_schema(request=RotateSerializer, responses=SecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret (shown once); the old one signs too during the overlap."""
        subscription = self.get_object()
        incoming = RotateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        seconds = incoming.validated_data.get("overlap_seconds")
        secret = services.rotate_secret(
            subscription,
            actor=request.user,
            overlap_for=None if seconds is None else timedelta(seconds=seconds),
        )
        return Response(
            {
                "secret": secret,
                "previous_secret_expires_at": serializers.DateTimeField().to_representation(
                    subscription.previous_secret_expires_at
                )
                if subscription.previous_secret_expires_at
                else None,
            }
        )

    @extend_schema(request=None, responses=WebhookSubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Stop sending (pending deliveries are cancelled)."""
        subscription = services.set_active(self.get_object(), False, actor=request.user)
        return Response(self.get_serializer(subscription).data)

    @extend_schema(request=None, responses=WebhookSubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Start sending again; the failure count starts from 0."""
        subscription = services.set_active(self.get_object(), True, actor=request.user)
        return Response(self.get_serializer(subscription).data)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet[WebhookDelivery]):
    """Every delivery with its attempts (administrators); `redeliver` sends one again."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [AdministratorsOnly]
    filterset_fields = ["subscription", "state", "event_type"]

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.prefetch_related("log").order_by("-created_at", "-pk")

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        """Send again: same webhook-id and body, new signature; queued at once."""
        delivery = services.redeliver(self.get_object(), actor=request.user)
        fresh = self.get_queryset().get(pk=delivery.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class WebhookAttemptViewSet(viewsets.ReadOnlyModelViewSet[WebhookAttempt]):
    """Every HTTP attempt: time, status, duration, response excerpt, error (administrators)."""

    serializer_class = WebhookAttemptSerializer
    permission_classes = [AdministratorsOnly]
    filterset_fields = ["delivery"]

    def get_queryset(self) -> QuerySet[WebhookAttempt]:
        return WebhookAttempt.objects.order_by("-started_at", "-pk")


def register(router: DefaultRouter) -> None:
    router.register(
        "webhook-subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription"
    )
    router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
    router.register("webhook-attempts", WebhookAttemptViewSet, basename="webhook-attempt")
