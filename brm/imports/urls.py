from __future__ import annotations

from django.urls import path

from brm.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.upload, name="upload"),
    path("imports/<int:pk>/", views.job_page, name="job"),
    path("imports/<int:pk>/confirm/", views.confirm, name="confirm"),
]
