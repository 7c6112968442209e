from __future__ import annotations

from rest_framework.routers import DefaultRouter

from reviews.api import views


def register(router: DefaultRouter) -> None:
    router.register("reviews", views.ServiceReviewViewSet, basename="review")
    router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")
