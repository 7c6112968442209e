from __future__ import annotations

from django.urls import path

from brm.health import views

app_name = "health"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/recompute/", views.recompute, name="recompute"),
    path("relationships/", views.my_relationships, name="my_relationships"),
    path("units/<int:pk>/health/", views.unit_health, name="unit_health"),
    path("units/<int:pk>/health/recompute/", views.recompute_unit, name="recompute_unit"),
    path("units/<int:pk>/maturity/", views.rate_maturity, name="rate_maturity"),
    path("units/<int:pk>/plan/", views.start_plan, name="start_plan"),
    path("plans/<int:pk>/actions/", views.add_plan_action, name="add_plan_action"),
    path("plans/<int:pk>/close/", views.close_plan, name="close_plan"),
    path("reports/evidence/", views.evidence, name="evidence"),
]
