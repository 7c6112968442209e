"""The authentication backend: allauth's (a username or an email address with a password),
loading the signed-in user with their preference like the kernel's backend."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend

from brm.core.authentication import PreferenceModelBackend


class SignInBackend(AuthenticationBackend, PreferenceModelBackend):  # type: ignore[misc]
    """allauth's `authenticate` (username or email), `PreferenceModelBackend.get_user` (the
    user and their `core.UserPreference` in one query)."""

    def get_user(self, user_id: Any) -> Any:
        return PreferenceModelBackend.get_user(self, user_id)
