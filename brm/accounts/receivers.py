"""Receivers of allauth's and axes' signals: lockouts and their release, MFA set up or removed,
in the audit log (`brm.core.audit.record_event`); single sign-on's claims applied at sign-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.signals import user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from brm.accounts.claims import apply_claims, merged_claims
from brm.core.audit import record_event
from brm.core.models import AuditEvent


def _account_id(username: str | None) -> int | None:
    """The id of the one account `username` (a username or an address) names, else None."""
    if not username or username.startswith("token:"):
        return None
    ids = list(
        get_user_model()
        .objects.filter(Q(username__iexact=username) | Q(email__iexact=username))
        .values_list("pk", flat=True)[:2]
    )
    return ids[0] if len(ids) == 1 else None


def _lock_details(username: str | None, ip_address: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"ip_address": ip_address or ""}
    if username and username.startswith("token:"):
        details["token_key_id"] = username.removeprefix("token:")
    return details


@receiver(user_locked_out, dispatch_uid="brm.accounts.record_lockout")
def record_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Records "signin.locked": the account (subject, when one is named) or the address is
    locked for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT failures. Axes signals again at each
    attempt during the lock (each restarts the cool-off); the log keeps the first."""
    account = _account_id(username)
    details = _lock_details(username, ip_address)
    details["source"] = "api" if request.path.startswith("/api/") else "sign-in"
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    recent = AuditEvent.objects.filter(at__gte=since, subject_id=account, details__contains=details)
    last = recent.filter(action__in=["signin.locked", "signin.unlocked"]).first()
    if last is not None and last.action == "signin.locked":
        return
    record_event(
        "signin.locked",
        actor=None,
        subject_type="user" if account else "",
        subject_id=account,
        details=details,
    )


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="brm.accounts.record_release")
def record_release(sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    """Records "signin.unlocked": a locked attempt record is gone (its cool-off passed, a successful
    sign-in reset it, or an administrator deleted it), so the lock is lifted."""
    if instance.failures_since_start < settings.AXES_FAILURE_LIMIT:
        return
    account = _account_id(instance.username)
    details = _lock_details(instance.username, instance.ip_address)
    details["source"] = "api" if (instance.path_info or "").startswith("/api/") else "sign-in"
    details["failures"] = instance.failures_since_start
    record_event(
        "signin.unlocked",
        actor=None,
        subject_type="user" if account else "",
        subject_id=account,
        details=details,
    )


@receiver(authenticator_added, dispatch_uid="brm.accounts.record_mfa_added")
def record_mfa_added(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any
) -> None:
    record_event(
        "mfa.added",
        actor=user,
        subject_type="user",
        subject_id=user.pk,
        details={"type": authenticator.type},
    )


@receiver(authenticator_removed, dispatch_uid="brm.accounts.record_mfa_removed")
def record_mfa_removed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kw: Any
) -> None:
    record_event(
        "mfa.removed",
        actor=user,
        subject_type="user",
        subject_id=user.pk,
        details={"type": authenticator.type},
    )


@receiver(user_logged_in, dispatch_uid="brm.accounts.apply_sso_claims")
def apply_sso_claims(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Role and unit from the identity provider's claims, at every single sign-on."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None:
        apply_claims(user, merged_claims(sociallogin.account.extra_data))
