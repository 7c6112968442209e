from __future__ import annotations

from django.urls import path

from brm.search import views
from brm.search.api import SearchView

app_name = "search"

urlpatterns = [
    path("search/", views.search, name="search"),
]

# Wired under /api/v1/ by the project's URLs.
api_urlpatterns = [
    path("search/", SearchView.as_view(), name="search-api"),
]
