"""Sign-in: django-allauth's accounts, MFA and OpenID Connect wired to the kernel's roles and the
register's units, and django-axes' lockout recorded in the audit log."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "brm.accounts"
    default_auto_field = "django.db.models.BigAutoField"
    label = "accounts"
    verbose_name = _("Sign-in")

    def ready(self) -> None:
        # Connects the receivers of allauth's and axes' signals.
        from brm.accounts import receivers  # noqa: F401  lazy import: apps must be loaded first
