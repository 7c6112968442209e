from __future__ import annotations

from rest_framework.routers import DefaultRouter

from satisfaction.api import views


def register(router: DefaultRouter) -> None:
    router.register("survey-templates", views.SurveyTemplateViewSet, basename="survey-template")
    router.register("campaigns", views.CampaignViewSet, basename="campaign")
    router.register("survey-results", views.SurveyResultViewSet, basename="survey-result")
