from __future__ import annotations

from django.urls import path

from portfolio import demand_views as views

app_name = "demands"

urlpatterns = [
    path("demands/", views.demand_list, name="demand_list"),
    path("demands/board/", views.demand_board, name="demand_board"),
    path("demands/new/", views.demand_create, name="demand_create"),
    path("demands/export.csv", views.demand_export, name="demand_export"),
    path("demands/value/", views.demand_value, name="demand_value"),
    path("demands/<int:pk>/", views.demand_detail, name="demand_detail"),
    path("demands/<int:pk>/case/", views.demand_case, name="demand_case"),
    path("demands/<int:pk>/transition/", views.demand_transition, name="demand_transition"),
    path("demands/<int:pk>/override/", views.demand_override, name="demand_override"),
    path("demands/<int:pk>/benefits/", views.demand_benefit, name="demand_benefit"),
    path("demands/<int:pk>/confirm/", views.demand_confirm, name="demand_confirm"),
    path("objectives/", views.objective_list, name="objective_list"),
]
