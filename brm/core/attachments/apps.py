from __future__ import annotations

from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    """Files on business records (kernel floor: imports no business app)."""

    name = "brm.core.attachments"
    label = "attachments"
    verbose_name = "Attachments"
    default_auto_field = "django.db.models.BigAutoField"
