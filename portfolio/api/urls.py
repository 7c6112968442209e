"""API routes of the portfolio: the service catalogue, then the demand portfolio."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from portfolio.api.views import catalogue, demand


def register(router: DefaultRouter) -> None:
    router.register("services", catalogue.ServiceViewSet, basename="service")
    router.register("service-metrics", catalogue.ServiceMetricViewSet, basename="service-metric")
    router.register("objectives", demand.StrategicObjectiveViewSet, basename="objective")
    router.register("demands", demand.DemandViewSet, basename="demand")
    router.register("benefit-records", demand.BenefitRecordViewSet, basename="benefit-record")
