from __future__ import annotations

from typing import Any

from rest_framework import serializers

from brm.health.models import HealthSnapshot


class ComponentSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    # Declared fields are class attributes; the stubs see this one as `Field.label`.
    label = serializers.CharField()  # type: ignore[assignment]
    weight = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="0-100, or null for no data.")
    facts = serializers.ListField(child=serializers.CharField())


class HealthSnapshotSerializer(serializers.ModelSerializer[HealthSnapshot]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    components = ComponentSerializer(many=True, read_only=True)

    class Meta:
        model = HealthSnapshot
        fields = [
            "unit",
            "unit_name",
            "as_of",
            "score",
            "band",
            "trend",
            "watermelon",
            "perception",
            "perception_change",
            "delivery",
            "complaints",
            "engagement",
            "commitments",
            "components",
        ]
        read_only_fields = fields


class HealthPointSerializer(serializers.ModelSerializer[HealthSnapshot]):
    class Meta:
        model = HealthSnapshot
        fields = [
            "as_of",
            "score",
            "band",
            "watermelon",
            "perception",
            "delivery",
            "complaints",
            "engagement",
            "commitments",
        ]
        read_only_fields = fields
