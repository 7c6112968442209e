from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from brm.core.api_input import ModelSerializer
from brm.health.facts import visible_components
from brm.health.models import HealthSnapshot


class ComponentSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    # Declared fields are class attributes; the stubs see this one as `Field.label`.
    label = serializers.CharField()  # type: ignore[assignment]
    weight = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="0-100, or null for no data.")
    facts = serializers.ListField(
        child=serializers.CharField(),
        help_text="The facts behind the value that the caller may read (meeting sentiment and "
        "stakeholder analysis only for IT-side roles).",
    )


class HealthSnapshotSerializer(ModelSerializer[HealthSnapshot]):
    """A unit's health on one day as the API sends it (the kernel base: DRF's output without
    its per-field calls, `brm.core.api_output`); `components` with the facts the caller may
    read."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    components = serializers.SerializerMethodField()

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

    @extend_schema_field(ComponentSerializer(many=True))
    def get_components(self, snapshot: HealthSnapshot) -> list[dict[str, Any]]:
        """Each component with the facts the caller may read (`brm.health.facts`); without a
        request (a webhook payload) the system's view, every fact."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        rows = visible_components(snapshot, user)
        return [{**row, "facts": [f["text"] for f in row["facts"]]} for row in rows]


class HealthPointSerializer(ModelSerializer[HealthSnapshot]):
    """One point of a unit's health history: the score (0-100), band and components."""

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
