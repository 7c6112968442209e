"""Users whose role requires MFA are sent to set it up before anything else."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.translation import gettext

from brm.accounts.mfa import has_mfa, mfa_required

# What such a user may still reach: setting up MFA, signing in again or out, and static files.
_OPEN_URL_NAMES = ("mfa_index", "account_logout", "account_reauthenticate", "account_login")


class RequireMfaMiddleware:
    """A signed-in user whose role is in `BRM_MFA_REQUIRED_ROLES` and who has no authenticator
    app is redirected to `mfa_activate_totp` (a page), answered 204 and nothing to swap (an htmx
    fragment) or 403 (the API with a session; bearer tokens are not sessions and are not
    affected). Costs one query per request for those roles only; none for the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and mfa_required(user)  # the role: cached for the request, every page needs it
            and not self._open(request.path)  # four URL reversals: only for those roles
            and not has_mfa(user)
        ):
            if request.headers.get("HX-Request"):
                # A fragment (the header's bell, a live search) gets nothing, not a redirect:
                # swapping the setup page into the header, which loads the bell again, loops.
                return HttpResponse(status=204)
            # This runs before UserTimeZoneMiddleware applies the person's language: say it in
            # theirs here (else the browser's, as LocaleMiddleware chose).
            with translation.override(_chosen_language(user) or translation.get_language()):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "detail": gettext(
                                "Set up two-factor authentication before using the API."
                            )
                        },
                        status=403,
                    )
                messages.warning(
                    request,
                    gettext("Your role requires two-factor authentication: set it up to continue."),
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path.startswith(
            _open_prefixes(get_urlconf(), get_script_prefix(), settings.STATIC_URL)
        )


@functools.cache
def _open_prefixes(urlconf: str | None, script_prefix: str, static_url: str) -> tuple[str, ...]:
    """Where a user who still has to set up MFA may go (`_OPEN_URL_NAMES` and static files),
    reversed once per URLconf, script prefix and STATIC_URL (all three are the key: a setting
    changed in a test or a second site is never answered from another's) rather than four
    times on each of their requests."""
    static = "/" + static_url.lstrip("/")
    return (static, *(reverse(name) for name in _OPEN_URL_NAMES))


def _chosen_language(user: object) -> str:
    """The language the person chose on their profile ("" for none or no preference row);
    `UserPreference` is loaded with the user (PreferenceModelBackend): no query of its own."""
    try:
        return str(getattr(getattr(user, "preference", None), "language", "") or "")
    except ObjectDoesNotExist:
        return ""
