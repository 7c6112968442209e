"""Relationship health: the top floor that reads every business app through its selectors."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "brm.health"
    label = "health"
    verbose_name = _("Relationship health")
