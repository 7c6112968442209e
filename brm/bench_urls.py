"""The bench's URLs (`ROOT_URLCONF` only while `manage.py bench_web` measures, or in the
gunicorn `manage.py bench_http` starts with `brm.settings_bench`): the project's URLs plus five
bare floors over the register's stakeholders, never served in production. Each floor does the
least that stack can do for 50 rows with their unit joined:

- `/bench/floor/json/`: a plain `JsonResponse` of a constant (no database, no template);
- `/bench/floor/drf/`: a DRF list of 50 stakeholders, page-number paginated (COUNT and page);
- `/bench/floor/drf-auth/`: the floor an API list is held to, what a bare stack serving private
  data to an API client pays at least: the same list behind the project's API authentication
  (`DEFAULT_AUTHENTICATION_CLASSES`: a bearer token or the session, the user loaded) and
  `IsAuthenticated` (401 without credentials), with no scoping;
- `/bench/floor/table/`: the same 50 rows in a bare template table (no base layout, anonymous);
- `/bench/floor/page/`: the floor a page is held to, what a bare stack serving private data
  does at least: `login_required` with the session (the user loaded, as every page of ours), the
  same 50 rows in a template table inside a minimal base layout (`bench/floor_base.html`: head,
  stylesheet, the signed-in name and a log-out form with its CSRF token). Rendered with
  `render()`, so the project's context processors run as for any view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.settings import api_settings

from brm.urls import urlpatterns as project_urlpatterns
from stakeholders.models import Stakeholder

FLOOR_ROWS = 50


def floor_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "rows": FLOOR_ROWS})


def floor_table(request: HttpRequest) -> HttpResponse:
    rows = Stakeholder.objects.select_related("unit").order_by("name", "pk")[:FLOOR_ROWS]
    return render(request, "bench/floor_table.html", {"rows": rows})


@login_required
def floor_page(request: HttpRequest) -> HttpResponse:
    rows = Stakeholder.objects.select_related("unit").order_by("name", "pk")[:FLOOR_ROWS]
    return render(request, "bench/floor_page.html", {"rows": rows})


class FloorSerializer(serializers.ModelSerializer[Stakeholder]):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = Stakeholder
        fields = ["id", "name", "job_title", "unit", "unit_name", "influence", "interest"]


class FloorPagination(PageNumberPagination):
    page_size = FLOOR_ROWS


class FloorList(generics.ListAPIView[Stakeholder]):
    serializer_class = FloorSerializer
    pagination_class = FloorPagination
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def get_queryset(self) -> Any:
        return Stakeholder.objects.select_related("unit").order_by("name", "pk")


class FloorAuthList(FloorList):
    """`FloorList` signed in: the project's API authentication classes and `IsAuthenticated`."""

    permission_classes = [IsAuthenticated]
    authentication_classes = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)


urlpatterns = [
    path("bench/floor/json/", floor_json),
    path("bench/floor/drf/", FloorList.as_view()),
    path("bench/floor/drf-auth/", FloorAuthList.as_view()),
    path("bench/floor/table/", floor_table),
    path("bench/floor/page/", floor_page),
    *project_urlpatterns,
]
