"""People's data held by the sign-in libraries (django-allauth: addresses, single sign-on
links, MFA authenticators; django-axes: sign-in attempts by username or address), as a part
of `brm.privacy`'s export and erasure. Each library is read only when installed, through the
app registry, so this part costs nothing where sign-in is Django's own."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from brm.core import privacy
from brm.core.privacy import Person


def _model(app: str, label: str, name: str) -> type[Model] | None:
    return apps.get_model(label, name) if apps.is_installed(app) else None


def _for_user(app: str, label: str, name: str, person: Person) -> QuerySet[Any] | None:
    model = _model(app, label, name)
    if model is None or person.user_id is None:
        return None
    return model._default_manager.filter(user_id=person.user_id)


def _attempts(name: str, person: Person) -> QuerySet[Any] | None:
    """Axes rows for what they typed as a username: their username or one of their addresses."""
    model = _model("axes", "axes", name)
    if model is None:
        return None
    typed = Q(pk__in=[])
    for value in (*person.other, *person.emails):
        typed |= Q(username__iexact=value)
    return model._default_manager.filter(typed)


def _sources(person: Person) -> dict[str, tuple[QuerySet[Any] | None, tuple[str, ...]]]:
    """Section -> (rows, exported columns); never a secret (MFA seeds, OAuth tokens)."""
    access = ("username", "ip_address", "user_agent", "path_info", "attempt_time")
    return {
        "email_addresses": (
            _for_user("allauth.account", "account", "EmailAddress", person),
            ("email", "verified", "primary"),
        ),
        "single_sign_on": (
            _for_user("allauth.socialaccount", "socialaccount", "SocialAccount", person),
            ("provider", "uid", "date_joined", "last_login", "extra_data"),
        ),
        "mfa": (
            _for_user("allauth.mfa", "mfa", "Authenticator", person),
            ("type", "created_at", "last_used_at"),
        ),
        "sign_in_attempts": (_attempts("AccessAttempt", person), access),
        "sign_in_log": (_attempts("AccessLog", person), (*access, "logout_time")),
        "sign_in_failures": (_attempts("AccessFailureLog", person), (*access, "locked_out")),
    }


def export_part(person: Person) -> dict[str, Any]:
    """Their sign-in records, per installed library."""
    return {
        section: privacy.rows(rows, *columns)
        for section, (rows, columns) in _sources(person).items()
        if rows is not None
    }


def erase_part(person: Person) -> dict[str, int]:
    """Delete their sign-in records (the account itself is made unusable by the kernel's
    part); a second run deletes nothing."""
    return {
        section: rows.delete()[0]
        for section, (rows, _) in _sources(person).items()
        if rows is not None
    }
