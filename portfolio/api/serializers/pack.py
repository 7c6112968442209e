"""The shape of a review's `performance_pack` for the OpenAPI schema.

The pack is plain JSON built by `portfolio.selectors.catalogue.performance_pack` (and narrowed
per reader by `pack_for`); a held review keeps it as it was. These serializers only document it;
`PerformancePackField` sends the stored JSON unchanged. Figures added to the pack after a review
was held may be missing from its pack, so only the original ones are required.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolio.models.catalogue import Lifecycle


class PackTrendPointSerializer(serializers.Serializer[Any]):
    period = serializers.DateField(help_text="First day of the SLA period.")
    availability = serializers.FloatField(help_text="In %.")
    met = serializers.BooleanField()


class PackServiceSerializer(serializers.Serializer[Any]):
    """One service's figures over the review period; `sla_met` is null without figures."""

    service_id = serializers.IntegerField()
    name = serializers.CharField()
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    availability_target = serializers.FloatField(help_text="In %.")
    availability_avg = serializers.FloatField(allow_null=True, required=False)
    availability_min = serializers.FloatField(allow_null=True, required=False)
    response_time_target_minutes = serializers.IntegerField(allow_null=True, required=False)
    response_time_avg_minutes = serializers.FloatField(allow_null=True, required=False)
    periods = serializers.IntegerField()
    periods_met = serializers.IntegerField()
    periods_missed = serializers.IntegerField(required=False)
    sla_met = serializers.BooleanField(allow_null=True)
    incidents = serializers.IntegerField(required=False)
    major_incidents = serializers.IntegerField(required=False)
    workload = serializers.IntegerField(allow_null=True, required=False)
    workload_limit = serializers.IntegerField(allow_null=True, required=False)
    workload_unit = serializers.CharField(required=False)
    periods_over_limit = serializers.IntegerField(required=False)
    trend = PackTrendPointSerializer(many=True)


class PerformancePackSerializer(serializers.Serializer[Any]):
    """SLA results of the unit's services over the review period."""

    unit_id = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    services = PackServiceSerializer(many=True)
    services_met = serializers.IntegerField()
    services_missed = serializers.IntegerField()
    all_green = serializers.BooleanField()


@extend_schema_field(PerformancePackSerializer)
class PerformancePackField(serializers.JSONField):
    """The stored pack as it is (read-only); documented as `PerformancePackSerializer`."""
