from __future__ import annotations

from django.urls import path

from brm.core.attachments.views import attachment_urls
from stakeholders import views
from stakeholders.files import MEETING_FILES

app_name = "stakeholders"

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/export.csv", views.unit_export, name="unit_export"),
    # The unit page and its timeline are cross-app pages, assembled at the top floor
    # (brm.health.unit_page); brm/urls.py adds them to this namespace as `unit_detail` and
    # `unit_timeline`.
    path("units/<int:pk>/meetings/new/", views.interaction_create, name="interaction_create"),
    *attachment_urls("meetings/<int:pk>/files/", MEETING_FILES),
    path("units/<int:pk>/history/", views.unit_history, name="unit_history"),
    path("units/<int:pk>/handover/", views.unit_handover, name="unit_handover"),
    path("units/<int:pk>/reassign/", views.unit_reassign, name="unit_reassign"),
    path("stakeholders/", views.stakeholder_list, name="stakeholder_list"),
    path("stakeholders/export.csv", views.stakeholder_export, name="stakeholder_export"),
    path("stakeholders/map/", views.stakeholder_map, name="stakeholder_map"),
    path("stakeholders/new/", views.stakeholder_form, name="stakeholder_create"),
    path("stakeholders/<int:pk>/", views.stakeholder_detail, name="stakeholder_detail"),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_form, name="stakeholder_update"),
    path("commitments/", views.action_list, name="action_list"),
    path("commitments/export.csv", views.action_export, name="action_export"),
    path("commitments/<int:pk>/", views.action_detail, name="action_detail"),
    path(
        "commitments/<int:pk>/<str:operation>/",
        views.action_transition,
        name="action_transition",
    ),
]
