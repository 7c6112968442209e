"""The kernel's pages: the signed unsubscribe link, the user's preferences and their inbox."""

from __future__ import annotations

from django.urls import path

from brm.core import inbox_views, views

app_name = "core"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/badge/", inbox_views.inbox_badge, name="inbox_badge"),
    path("inbox/read-all/", inbox_views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/read/", inbox_views.inbox_read, name="inbox_read"),
]
