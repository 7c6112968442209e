"""django-axes' hooks: whose sign-in a failure counts against, and the answer to a locked-out
request (a page for people, JSON for the API)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in names, lower-cased: allauth's login form passes `username` and, for
    an address, `email`; the admin's form `username`; a bearer token `username` "token:<key id>".
    None when nothing names one (axes then counts the address only)."""
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email")
    if not name and request.method == "POST":
        name = request.POST.get("login") or request.POST.get("username")
    if not name:
        return None
    return str(name).strip().lower() or None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with how long the lock lasts: JSON `{"detail": ...}` on the API, else a page."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    message = ngettext(
        "Too many failed sign-ins for this account or from this address. Try again in "
        "%(minutes)s minute, or reset your password.",
        "Too many failed sign-ins for this account or from this address. Try again in "
        "%(minutes)s minutes, or reset your password.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request, "account/locked.html", {"message": message, "minutes": minutes}, status=429
        )
    response["Retry-After"] = str(minutes * 60)
    return response
