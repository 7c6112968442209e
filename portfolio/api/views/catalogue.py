"""API viewsets of the service portfolio. Reads are for every role (leaders: their services);
writes are for administrators and integrations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from brm.core.api_versions import VersionedViewSetMixin
from portfolio.api.serializers.catalogue import (
    ServiceMetricBulkSerializer,
    ServiceMetricSerializer,
    ServiceSerializer,
)
from portfolio.filters.catalogue import ServiceFilterSet, ServiceMetricFilterSet
from portfolio.models import Service, ServiceMetric
from portfolio.permissions import may_edit_catalogue
from portfolio.selectors import catalogue as selectors
from portfolio.services.catalogue import (
    MetricInput,
    delete_service,
    save_service,
    upsert_metrics,
)


def _writers_only(request: Request) -> None:
    # Answered before the body is read; the services apply the same rule (may_edit_catalogue).
    if not may_edit_catalogue(request.user):
        raise PermissionDenied(
            gettext("Only administrators and integrations change the catalogue.")
        )


class ServiceViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[Service]):
    """The service catalogue with SLA targets and workload limits."""

    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet

    def get_queryset(self) -> QuerySet[Service]:
        # A list needs none of the page's figures (owner, counts): the API sends none of them.
        user = self.request.user
        rows = (
            selectors.service_rows(user) if self.action == "list" else selectors.service_list(user)
        )
        return rows.prefetch_related("consumers")

    def perform_create(self, serializer: BaseSerializer[Service]) -> None:
        data = dict(serializer.validated_data)
        consumers = data.pop("consumers", [])
        serializer.instance = save_service(
            Service(**data), actor=self.request.user, consumers=consumers
        )

    def perform_update(self, serializer: BaseSerializer[Service]) -> None:
        data = dict(serializer.validated_data)
        consumers = data.pop("consumers", None)
        service = serializer.instance
        assert service is not None  # an update always has its instance
        for name, value in data.items():
            setattr(service, name, value)
        save_service(service, actor=self.request.user, consumers=consumers)

    def perform_destroy(self, instance: Service) -> None:
        delete_service(instance, actor=self.request.user)


def _to_input(data: dict[str, Any]) -> MetricInput:
    figures = {k: v for k, v in data.items() if k not in {"service", "period_start", "period_end"}}
    return MetricInput(data["service"], data["period_start"], data["period_end"], figures)


class ServiceMetricViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[ServiceMetric]):
    """Per-period figures. POST upserts by (service, period); `bulk/` upserts many at once."""

    serializer_class = ServiceMetricSerializer
    filterset_class = ServiceMetricFilterSet

    def get_queryset(self) -> QuerySet[ServiceMetric]:
        return ServiceMetric.objects.visible_to(self.request.user).select_related("service")

    @extend_schema(
        responses={
            201: OpenApiResponse(ServiceMetricSerializer, description="A new period."),
            200: OpenApiResponse(
                ServiceMetricSerializer, description="The period existed: its figures updated."
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _writers_only(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            [(metric, created)] = upsert_metrics(
                [_to_input(serializer.validated_data)], actor=request.user
            )
        except DjangoValidationError as exc:
            raise ValidationError({"period_start": exc.messages}) from exc
        return Response(
            self.get_serializer(metric).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_update(self, serializer: BaseSerializer[ServiceMetric]) -> None:
        instance = serializer.instance
        assert instance is not None  # an update always has its instance
        data = {
            "service": instance.service,
            "period_start": instance.period_start,
            "period_end": instance.period_end,
            **{
                k: v
                for k, v in serializer.validated_data.items()
                if k not in {"service", "period_start", "period_end"}
            },
        }
        if any(
            k in serializer.validated_data and serializer.validated_data[k] != getattr(instance, k)
            for k in ("service", "period_start", "period_end")
        ):
            raise ValidationError(
                {
                    "period_start": [
                        gettext("A period's service and dates are its identity; push a new one.")
                    ]
                }
            )
        try:
            [(metric, _)] = upsert_metrics([_to_input(data)], actor=self.request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"period_start": exc.messages}) from exc
        serializer.instance = metric

    @extend_schema(
        request=ServiceMetricBulkSerializer,
        responses=inline_serializer(
            "ServiceMetricBulkResult",
            {
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "metrics": ServiceMetricSerializer(many=True),
            },
        ),
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def bulk(self, request: Request) -> Response:
        """Upsert many periods in one request, all or nothing. Errors are keyed by row index."""
        _writers_only(request)
        params = ServiceMetricBulkSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        try:
            results = upsert_metrics(
                [_to_input(r) for r in params.validated_data["metrics"]], actor=request.user
            )
        except DjangoValidationError as exc:
            raise ValidationError({"metrics": exc.message_dict}) from exc
        created = sum(1 for _, c in results if c)
        return Response(
            {
                "created": created,
                "updated": len(results) - created,
                "metrics": self.get_serializer([m for m, _ in results], many=True).data,
            },
            status=status.HTTP_200_OK,
        )
