from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    """Files on business records (kernel floor: imports no business app)."""

    name = "brm.core.attachments"
    label = "attachments"
    verbose_name = _("Attachments")
    default_auto_field = "django.db.models.BigAutoField"
