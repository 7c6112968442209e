"""API shapes of the service portfolio. Related objects are ids; metric writes are upserts."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from brm.core.roles import is_it_side
from portfolio.models.catalogue import Service, ServiceMetric, metric_errors
from stakeholders.api.serializers import ScopedPrimaryKeyRelatedField
from stakeholders.models import BusinessUnit

User = get_user_model()


class ServiceSerializer(ModelSerializer[Service]):
    owner = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    consumers = ScopedPrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(), many=True, required=False
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "code",
            "description",
            "owner",
            "lifecycle",
            "consumers",
            "availability_target",
            "response_time_target_minutes",
            "workload_limit",
            "workload_unit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance: Service) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self._hides_consumers:
            data.pop("consumers", None)  # a leader need not learn which other units use it
        return data

    @cached_property
    def _hides_consumers(self) -> bool:
        """Decided once per serializer (a list's rows share it)."""
        request = self.context.get("request")
        return request is not None and not is_it_side(request.user)


class ServiceMetricSerializer(ModelSerializer[ServiceMetric]):
    """One period of a service. POSTing a period that exists updates it (upsert)."""

    service = ScopedPrimaryKeyRelatedField(queryset=Service.objects.all())
    availability = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0"), max_value=Decimal("100")
    )
    over_workload_limit = serializers.BooleanField(read_only=True)

    class Meta:
        model = ServiceMetric
        fields = [
            "id",
            "service",
            "period_start",
            "period_end",
            "availability",
            "incidents",
            "major_incidents",
            "response_time_minutes",
            "workload",
            "sla_met",
            "over_workload_limit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sla_met", "created_at", "updated_at"]
        # Uniqueness is the upsert key, not an error: the service decides create or update.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def get(name: str) -> Any:
            return attrs.get(name, getattr(self.instance, name, None))

        # Missing incidents count as 0 here, so major incidents without a total are refused.
        errors = metric_errors(
            get("period_start"),
            get("period_end"),
            get("incidents") or 0,
            get("major_incidents"),
        )
        if errors:
            raise serializers.ValidationError(
                {field: [str(message)] for field, message in errors.items()}
            )
        return attrs


class ServiceMetricBulkSerializer(Serializer):
    # many=True hands max_length to the ListSerializer; the stubs' __init__ does not list it.
    metrics = ServiceMetricSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=1000
    )
