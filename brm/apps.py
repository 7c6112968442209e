"""The project package as an app: it holds the project-wide system checks and the demo-data
command, and keeps the migration history of the records that moved to `brm.core` and
`brm.health` (their tables keep their `brm_` names)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    name = "brm"
    label = "brm"
    verbose_name = _("BRM project")

    def ready(self) -> None:
        # lazy import: Django's documented place to register checks is ready(), once apps load.
        from brm import checks  # noqa: F401
