from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """People's data (GDPR): export and erasure of one person, and the retention periods.

    Project floor: it asks each app for its part through the app's `privacy` module."""

    name = "brm.privacy"
    label = "privacy"
    verbose_name = _("People's data")
    default_auto_field = "django.db.models.BigAutoField"
