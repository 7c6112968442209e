from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from brm.core.errors import StaleVersion
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
    else in the site's (``settings.TIME_ZONE``), and speak their language
    (`UserPreference.language`) when they chose one; otherwise LocaleMiddleware's choice from
    the browser (the set_language cookie, then Accept-Language) stands."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = language = ""
        if user is not None and user.is_authenticated:
            try:  # loaded with the user (PreferenceModelBackend): no query of its own
                name = user.preference.time_zone
                language = user.preference.language
            except UserPreference.DoesNotExist:
                name = ""
        previous = translation.get_language()
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        try:
            if name:
                timezone.activate(ZoneInfo(name))
            else:
                timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()  # a name stored before validation: the site's zone
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
            if language:  # back to the browser's, so nothing after this request speaks theirs
                translation.activate(previous)
        if language:
            # LocaleMiddleware (outside) only sets Content-Language when it is missing.
            response.headers["Content-Language"] = language
        return response


class StaleVersionMiddleware:
    """A page whose save lost the race to another save (`StaleVersion` from
    `VersionedModel.save`, in the instant between the form's version check and the UPDATE)
    answers 412 with a page that says so and links back to the form, instead of a 500.

    The usual case, a form opened before someone else saved, never gets here: the form itself
    refuses it and shows what changed (`brm.core.forms.VersionedFormMixin`). The API answers
    StaleVersion in its own exception handler (DRF catches it before any middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StaleVersion):
            return None
        context = {"message": str(exception), "back": request.get_full_path()}
        return render(request, "core/stale.html", context, status=412)
