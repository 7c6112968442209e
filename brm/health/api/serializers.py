from __future__ import annotations

from rest_framework import serializers

from brm.health.models import HealthSnapshot


class ComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="0-100, or null for no data.")
    facts = serializers.ListField(child=serializers.CharField())


class HealthSnapshotSerializer(serializers.ModelSerializer):
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


class HealthPointSerializer(serializers.ModelSerializer):
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
