"""API shapes of objectives, demands and benefit records. Writes go through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers

from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from portfolio.models.demand import (
    BenefitKind,
    BenefitRecord,
    Demand,
    DemandStatus,
    StrategicObjective,
    Urgency,
)
from stakeholders.api.serializers import ScopedPrimaryKeyRelatedField
from stakeholders.models import BusinessUnit, Stakeholder

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class StrategicObjectiveSerializer(ModelSerializer[StrategicObjective]):
    class Meta:
        model = StrategicObjective
        fields = ["id", "name", "description", "active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class DemandSerializer(ModelSerializer[Demand]):
    """Create: title, problem, outcome, urgency (and unit for BRMs). Business-case fields are
    changed with PATCH by the unit's BRM; status only with the `transition` action."""

    unit = ScopedPrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(),
        required=False,
        help_text="Leaders may leave it out: their own unit is used.",
    )
    sponsor = ScopedPrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200)
    problem = serializers.CharField(max_length=5000)
    outcome = serializers.CharField(max_length=5000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    benefit_kind = serializers.ChoiceField(
        choices=BenefitKind.choices, required=False, allow_blank=True
    )
    expected_benefit = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    estimated_cost = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    objectives = IntegerPrimaryKeyRelatedField(
        queryset=StrategicObjective.objects.filter(active=True), many=True, required=False
    )
    alignment = serializers.IntegerField(min_value=0, max_value=5, required=False, allow_null=True)
    risk = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    effort = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    reference = serializers.CharField(read_only=True)
    planned_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    realised_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    confirmed_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    leakage = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "reference",
            "unit",
            "sponsor",
            "brm",
            "submitted_by",
            "title",
            "problem",
            "outcome",
            "urgency",
            "status",
            "status_reason",
            "benefit_kind",
            "expected_benefit",
            "estimated_cost",
            "objectives",
            "alignment",
            "risk",
            "effort",
            "priority_score",
            "rank_override",
            "override_reason",
            "override_by",
            "override_at",
            "delivered_at",
            "planned_total",
            "realised_total",
            "confirmed_total",
            "leakage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "brm",
            "submitted_by",
            "status",
            "status_reason",
            "priority_score",
            "rank_override",
            "override_reason",
            "override_by",
            "override_at",
            "delivered_at",
            "created_at",
            "updated_at",
        ]


class DemandTransitionSerializer(Serializer):
    to = serializers.ChoiceField(choices=DemandStatus.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RankOverrideSerializer(Serializer):
    rank = serializers.IntegerField(min_value=1, max_value=10000, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class BenefitRecordSerializer(ModelSerializer[BenefitRecord]):
    demand = ScopedPrimaryKeyRelatedField(queryset=Demand.objects.all())
    planned_amount = serializers.DecimalField(**MONEY)
    realised_amount = serializers.DecimalField(**MONEY)
    is_confirmed = serializers.BooleanField(read_only=True)

    class Meta:
        model = BenefitRecord
        # Properties read from the row's own columns (the list may drop its joins).
        column_properties = ("is_confirmed",)
        fields = [
            "id",
            "demand",
            "period_start",
            "period_end",
            "planned_amount",
            "realised_amount",
            "note",
            "recorded_by",
            "confirmed_by",
            "confirmed_at",
            "is_confirmed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "recorded_by",
            "confirmed_by",
            "confirmed_at",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"period_end": [gettext("The period must end after it starts.")]}
            )
        return attrs
