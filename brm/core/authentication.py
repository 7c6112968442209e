"""`Authorization: Bearer <token>` for integrations, and the session login's user loader."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from brm.core import statements
from brm.core.models import ApiToken
from brm.core.roles import USER_JOINS, role_of, with_role


def _lockout_name(raw: str) -> str:
    """The name axes counts a wrong token under: "token:<key id>" when the token has the shape
    of one (so a stolen key id is locked too), else "" (the address alone). Anything else a
    client sent (NUL bytes, 5,000 characters) never reaches the database."""
    key_id = ApiToken.key_id_of(raw)
    return f"token:{key_id}" if key_id else ""


class TokenGuessing(exceptions.Throttled):
    """429: this address (or this token's key id) failed too often; django-axes' cool-off."""

    default_detail = _("Too many failed attempts from this address. Try again later.")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer brm_<key id>_<secret>`. A wrong token counts as a failed sign-in
    for django-axes (Django's `user_login_failed`, username "token:<key id>"), so an address or
    a key id that fails AXES_FAILURE_LIMIT times gets 429 for every wrong token during the
    cool-off instead of 401.

    A good token is accepted without asking axes, unlike a password on the login form: its
    secret is 256 random bits, so a lock protects nothing there, while refusing it would let
    anyone behind the same address lock an integration out (and would cost every API request
    the two lockout queries)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # let session authentication try
        http_request = request._request
        if len(header) != 2:
            self._failed(http_request, "")
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            self._failed(http_request, "")
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from exc
        token = ApiToken.authenticate(raw)
        if token is None:
            key = _lockout_name(raw)
            if not AxesProxyHandler.is_allowed(http_request, {"username": key}):
                raise TokenGuessing()
            self._failed(http_request, key)
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        token.touch()
        return (token.user, token)

    @staticmethod
    def _failed(request: Any, username: str) -> None:
        """Tell django-axes (and any other listener) that a token sign-in failed."""
        user_login_failed.send(
            sender=__name__, credentials={"username": username or None}, request=request
        )

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "brm.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: brm_<id>_<secret>",
        }


def _session_user(user_id: Any) -> QuerySet[Any]:
    """The user with primary key `user_id` (none or one) as `PreferenceModelBackend` loads it."""
    users = get_user_model()._default_manager.select_related(*USER_JOINS)
    return with_role(users).filter(pk=user_id)[:1]


class PreferenceModelBackend(ModelBackend):
    """Django's model backend, loading the signed-in user together with their
    `core.UserPreference`, their register entry and their role (one query: two joins and a
    subquery on their groups), so the time zone middleware, a leader's unit scope
    (`roles.leader_unit_id`) and every role check (`roles.role_of`) cost no query of their own."""

    def get_user(self, user_id: Any) -> Any:
        # On every signed-in request: compiled once per process and replayed with the id
        # (`brm.core.statements.instances`), not built through the ORM each time (issue 14).
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            found = statements.instances("auth.session_user", _session_user, user_id=user_id)
        else:
            found = list(_session_user(user_id))
        if not found:
            return None
        (user,) = found
        if not self.user_can_authenticate(user):
            return None
        role_of(user)  # the loaded rank becomes the request's role now (see `with_role`)
        return user
