from __future__ import annotations

from django.urls import path

from satisfaction import views

app_name = "satisfaction"

urlpatterns = [
    path("surveys/", views.campaign_list, name="campaign_list"),
    path("surveys/new/", views.campaign_create, name="campaign_create"),
    path("surveys/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("surveys/<int:pk>/edit/", views.campaign_update, name="campaign_update"),
    path("surveys/<int:pk>/rate/", views.campaign_rate, name="campaign_rate"),
    path("surveys/<int:pk>/results/", views.campaign_results, name="campaign_results"),
    path(
        "surveys/<int:pk>/<str:operation>/",
        views.campaign_transition,
        name="campaign_transition",
    ),
    path("s/<str:token>/", views.answer, name="answer"),
]
