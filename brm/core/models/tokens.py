"""API tokens for integrations."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core import statements
from brm.core.models.base import TimeStampedModel
from brm.core.roles import ROLE_RANK, USER_JOINS, role_rank, take_role
from brm.core.validators import single_line

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_PREFIX = "brm"
# `issue` makes hex key ids; anything else (a NUL byte, say) never reaches the database.
_KEY_ID = re.compile(r"[0-9a-f]{1,16}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime | None = None) -> ApiTokenQuerySet:
        """Tokens not revoked, not expired at `now` (default: this moment), of active users."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


def _usable_token(key_id: str, now: datetime) -> models.QuerySet[ApiToken]:
    """The usable token with `key_id` at `now` (none or one), its user and their role loaded in
    the same query, as the session backend loads a user (no groups query)."""
    return (
        ApiToken.objects.usable(now)
        .select_related(*(f"user__{join}" for join in USER_JOINS))
        .annotate(**{ROLE_RANK: role_rank()})
        .filter(key_id=key_id)
        .order_by("pk")[:1]
    )


class ApiToken(TimeStampedModel):
    """A bearer token for an integration. It acts as its user: that user's role and scope apply.

    Only a SHA-256 hash of the secret is stored; the full token is shown once when created.
    The public `key_id` lets us find the row without comparing hashes across the table.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100,
        validators=[single_line],
        help_text=_("What uses this token, e.g. 'HR sync'."),
    )
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        db_table = "brm_apitoken"  # the table kept its name when the kernel became an app
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
        """Create a token and return it with the plain value, which is never stored.

        Raises `ValidationError` when `name` is not one line (`brm.core.validators.single_line`),
        so the management command refuses what the admin's form refuses."""
        single_line(name)
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_id=key_id,
            secret_hash=_hash(secret),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        return token, f"{TOKEN_PREFIX}_{key_id}_{secret}"

    @staticmethod
    def key_id_of(raw: str) -> str | None:
        """The key id of a presented `brm_<key id>_<secret>` string, or None when it does not
        have that shape (so nothing malformed, such as a NUL byte, is ever looked up)."""
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not _KEY_ID.fullmatch(parts[1]):
            return None
        return parts[1]

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken | None:
        """The usable token matching `raw`, or None. Constant-time comparison of the secret."""
        key_id = cls.key_id_of(raw)
        if key_id is None:
            return None
        # On every request of an integration: compiled once per process and replayed with the
        # key id and the time (`brm.core.statements.instances`), not built each time (issue 14).
        found = statements.instances(
            "core.api_token", _usable_token, key_id=key_id, now=timezone.now()
        )
        token: ApiToken | None = found[0] if found else None
        if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw.split("_", 2)[2])):
            return None
        take_role(token.user, token.__dict__.pop(ROLE_RANK))
        return token

    def touch(self) -> None:
        """Record use, at most once a minute so busy integrations don't write on every call."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
