"""Who must use multi-factor authentication: the roles in `settings.BRM_MFA_REQUIRED_ROLES`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import QuerySet

from brm.core import statements
from brm.core.roles import role_of

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def mfa_required(user: AnyUser) -> bool:
    """Whether `user`'s role (brm.core.roles.Role value) is one that must use MFA here. Never
    when local passwords are off (SOCIALACCOUNT_ONLY): every sign-in is then the identity
    provider's, whose MFA policy applies, and a user without a password could not confirm
    their identity to add an authenticator."""
    if settings.SOCIALACCOUNT_ONLY:
        return False
    required = set(settings.BRM_MFA_REQUIRED_ROLES)
    return bool(required) and role_of(user).value in required


def has_mfa(user: AnyUser) -> bool:
    """Whether `user` has set up an authenticator app (TOTP); one query, asked on every request
    of a role that requires MFA, so compiled once per process and replayed with the user's id
    (`brm.core.statements`, issue 14)."""
    if not isinstance(user.pk, int):  # nobody signed in: no authenticator
        return False
    return bool(statements.rows("accounts.has_totp", _totp_of, user_id=user.pk))


def _totp_of(user_id: int) -> QuerySet[Any, Any]:
    """The user's authenticator app, if any: its id (at most one row)."""
    apps: QuerySet[Any, Any] = Authenticator.objects.filter(
        user_id=user_id, type=Authenticator.Type.TOTP
    )
    return apps.values("pk")[:1]
