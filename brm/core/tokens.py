"""API tokens people create and revoke for themselves (the profile page); the admin and
`manage.py create_api_token` make them for others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import record_event
from brm.core.errors import ForbiddenAction
from brm.core.models import ApiToken
from brm.core.roles import Role, role_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from brm.core.roles import AnyUser

MAX_TOKEN_DAYS = 365


def may_create_token(actor: AnyUser) -> bool:
    """Any active user with a role may hold tokens (a token acts with its owner's role)."""
    return actor.is_authenticated and actor.is_active and role_of(actor) is not Role.NONE


def may_revoke_token(actor: AnyUser, token: ApiToken) -> bool:
    """Only the token's owner revokes it here (administrators also can in the admin)."""
    return actor.is_authenticated and token.user_id == actor.pk


@transaction.atomic
def create_own_token(actor: User, name: str, *, days: int | None) -> tuple[ApiToken, str]:
    """A token for `actor`, expiring after `days` (1..MAX_TOKEN_DAYS, None: never); returns it
    with its plain value, shown once and never stored. Raises ForbiddenAction (403) for a user
    without a role, ValidationError for a name that is not one line; audit "api_token.created"."""
    if not may_create_token(actor):
        raise ForbiddenAction(gettext("Only users with a role may hold API tokens."))
    token, raw = ApiToken.issue(actor, name, days=days)
    record_event(
        "api_token.created",
        actor=actor,
        subject_type="user",
        subject_id=actor.pk,
        details={"key_id": token.key_id, "days": days},
    )
    return token, raw


@transaction.atomic
def revoke_own_token(actor: User, token: ApiToken) -> ApiToken:
    """Revoke `token` now (a second revoke changes nothing). Raises ForbiddenAction (403) when
    `actor` is not its owner; audit "api_token.revoked"."""
    if not may_revoke_token(actor, token):
        raise ForbiddenAction(gettext("Only the token's owner may revoke it here."))
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        record_event(
            "api_token.revoked",
            actor=actor,
            subject_type="user",
            subject_id=actor.pk,
            details={"key_id": token.key_id},
        )
    token.refresh_from_db(fields=["revoked_at"])
    return token
