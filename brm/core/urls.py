"""The kernel's pages: the signed unsubscribe link and the user's preferences."""

from __future__ import annotations

from django.urls import path

from brm.core import views

app_name = "core"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("profile/", views.profile, name="profile"),
]
