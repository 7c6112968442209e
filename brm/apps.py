from __future__ import annotations

from django.apps import AppConfig


class BrmConfig(AppConfig):
    name = "brm"
    verbose_name = "BRM platform"
