from __future__ import annotations

from rest_framework.routers import DefaultRouter

from stakeholders.api import views


def register(router: DefaultRouter) -> None:
    router.register("units", views.BusinessUnitViewSet, basename="unit")
    router.register("stakeholders", views.StakeholderViewSet, basename="stakeholder")
    router.register("interactions", views.InteractionViewSet, basename="interaction")
    router.register("action-items", views.ActionItemViewSet, basename="action-item")
