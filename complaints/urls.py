from __future__ import annotations

from django.urls import path

from brm.core.attachments.views import attachment_urls
from complaints import views
from complaints.files import COMPLAINT_FILES

app_name = "complaints"

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/queue/", views.complaint_queue, name="complaint_queue"),
    path("complaints/export.csv", views.complaint_export, name="complaint_export"),
    path("complaints/reports/", views.complaint_reports, name="complaint_reports"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<int:pk>/transition/",
        views.complaint_transition,
        name="complaint_transition",
    ),
    path("complaints/<int:pk>/assign/", views.complaint_assign, name="complaint_assign"),
    path("complaints/<int:pk>/comment/", views.complaint_comment, name="complaint_comment"),
    path("complaints/<int:pk>/rate/", views.complaint_rate, name="complaint_rate"),
    path(
        "complaints/<int:pk>/follow-up/<str:operation>/",
        views.complaint_follow_up,
        name="complaint_follow_up",
    ),
    *attachment_urls("complaints/<int:pk>/files/", COMPLAINT_FILES),
    path("feedback/", views.recognition_feed, name="feedback_list"),
    path("feedback/new/", views.feedback_create, name="feedback_create"),
]
