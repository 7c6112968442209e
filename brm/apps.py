from __future__ import annotations

from django.apps import AppConfig


class BrmConfig(AppConfig):
    name = "brm"
    verbose_name = "BRM platform"

    def ready(self) -> None:
        from brm import checks  # noqa: F401  (registers the system checks)
