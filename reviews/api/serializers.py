"""API shapes of service reviews. Related objects are ids; writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from rest_framework import serializers

from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from portfolio.api.serializers.pack import PerformancePackField
from portfolio.models import Service
from portfolio.selectors.catalogue import pack_for, visible_service_ids
from reviews.models import ChangeRequest, ChangeStatus, ServiceReview
from stakeholders.api.serializers import ScopedPrimaryKeyRelatedField, WritableUnitField
from stakeholders.models import ActionItem, BusinessUnit, Stakeholder

User = get_user_model()


class ServiceReviewSerializer(ModelSerializer[ServiceReview]):
    unit = WritableUnitField(queryset=BusinessUnit.objects.all())
    services = ScopedPrimaryKeyRelatedField(
        queryset=Service.objects.all(), many=True, required=False
    )
    attendees = ScopedPrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), many=True, required=False
    )
    it_attendees = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    action_items: serializers.PrimaryKeyRelatedField[ActionItem] = IntegerPrimaryKeyRelatedField(
        many=True, read_only=True
    )
    performance_pack = PerformancePackField(
        read_only=True, allow_null=True, help_text="SLA results, fixed when the review is held."
    )

    class Meta:
        model = ServiceReview
        fields = [
            "id",
            "unit",
            "services",
            "scheduled_at",
            "duration_minutes",
            "location",
            "status",
            "agenda",
            "attendees",
            "it_attendees",
            "period_start",
            "period_end",
            "minutes",
            "outcome",
            "performance_pack",
            "held_at",
            "planned_by",
            "action_items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "performance_pack",
            "held_at",
            "planned_by",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: ServiceReview) -> dict[str, Any]:
        """The review as the caller may see it: the pack keeps only the figures of services
        they may see (`visible_service_ids`, read once per request), like the review page."""
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and data.get("performance_pack"):
            if not hasattr(self, "_visible_services"):  # a list shares one child serializer
                self._visible_services = visible_service_ids(request.user)
            data["performance_pack"] = pack_for(data["performance_pack"], self._visible_services)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unit = attrs.get("unit", getattr(self.instance, "unit", None))
        if self.instance is not None and "unit" in attrs and attrs["unit"] != self.instance.unit:
            raise serializers.ValidationError(
                {"unit": [gettext("A review cannot move to another unit.")]}
            )
        strangers = [s.pk for s in attrs.get("attendees", []) if unit and s.unit_id != unit.pk]
        if strangers:
            raise serializers.ValidationError(
                {
                    "attendees": [
                        gettext("Not stakeholders of this unit: %(ids)s.") % {"ids": strangers}
                    ]
                }
            )
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"period_end": [gettext("The period must end on or after its start.")]}
            )
        return attrs


class HoldSerializer(Serializer):
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ChangeRequestSerializer(ModelSerializer[ChangeRequest]):
    review = ScopedPrimaryKeyRelatedField(queryset=ServiceReview.objects.all())
    service = ScopedPrimaryKeyRelatedField(
        queryset=Service.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "review",
            "service",
            "kind",
            "title",
            "description",
            "status",
            "decision",
            "decided_at",
            "raised_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "decision",
            "decided_at",
            "raised_by",
            "created_at",
            "updated_at",
        ]


class DecideSerializer(Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in ChangeStatus.values if c != ChangeStatus.RAISED]
    )
    decision = serializers.CharField(required=False, allow_blank=True, max_length=2000)
