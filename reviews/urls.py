from __future__ import annotations

from django.urls import path

from brm.core.attachments.views import attachment_urls
from reviews import views
from reviews.files import REVIEW_FILES

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/export.csv", views.review_export, name="review_export"),
    path("reviews/calendar/", views.review_calendar, name="review_calendar"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", views.review_update, name="review_update"),
    path("reviews/<int:pk>/minutes/", views.review_minutes, name="review_minutes"),
    path("reviews/<int:pk>/changes/", views.change_create, name="change_create"),
    path("reviews/<int:pk>/commitments/", views.commitment_create, name="commitment_create"),
    path("reviews/<int:pk>/invite.ics", views.review_invite, name="review_invite"),
    path("reviews/changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
    # Before the catch-all of operations below, which would take "files" for one.
    *attachment_urls("reviews/<int:pk>/files/", REVIEW_FILES),
    path(
        "reviews/<int:pk>/<str:operation>/",
        views.review_transition,
        name="review_transition",
    ),
]
