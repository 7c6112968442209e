from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """The integration floor's bulk import: files in, records through the apps' services."""

    name = "brm.imports"
    label = "imports"
    verbose_name = _("Bulk import")
    default_auto_field = "django.db.models.BigAutoField"
