from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from brm.core.models import UserPreference


class VaryOnHtmxMiddleware:
    """Pages answer htmx requests with a fragment, so caches must key on `HX-Request`.

    `patch_vary_headers` adds to an existing `Vary` instead of overwriting it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class UserTimeZoneMiddleware:
    """Pages show times in the signed-in user's time zone (`core.UserPreference.time_zone`),
    else in the site's (``settings.TIME_ZONE``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = ""
        if user is not None and user.is_authenticated:
            try:  # loaded with the user (PreferenceModelBackend): no query of its own
                name = user.preference.time_zone
            except UserPreference.DoesNotExist:
                name = ""
        try:
            if name:
                timezone.activate(ZoneInfo(name))
            else:
                timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()  # a name stored before validation: the site's zone
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
