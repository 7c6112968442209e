from __future__ import annotations

from rest_framework.routers import DefaultRouter

from portfolio.api import views


def register(router: DefaultRouter) -> None:
    router.register("services", views.ServiceViewSet, basename="service")
    router.register("service-metrics", views.ServiceMetricViewSet, basename="service-metric")
