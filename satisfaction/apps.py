from __future__ import annotations

from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
