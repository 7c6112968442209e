from __future__ import annotations

from django.urls import path

from brm.privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "privacy/stakeholders/<int:pk>/",
        views.person_export,
        {"subject_type": "stakeholder"},
        name="stakeholder_export",
    ),
    path(
        "privacy/stakeholders/<int:pk>/erase/",
        views.person_erase,
        {"subject_type": "stakeholder"},
        name="stakeholder_erase",
    ),
    path(
        "privacy/users/<int:pk>/", views.person_export, {"subject_type": "user"}, name="user_export"
    ),
    path(
        "privacy/users/<int:pk>/erase/",
        views.person_erase,
        {"subject_type": "user"},
        name="user_erase",
    ),
]
