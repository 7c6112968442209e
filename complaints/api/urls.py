from __future__ import annotations

from rest_framework.routers import DefaultRouter

from complaints.api import views


def register(router: DefaultRouter) -> None:
    router.register("complaints", views.ComplaintViewSet, basename="complaint")
    router.register("feedback", views.FeedbackViewSet, basename="feedback")
