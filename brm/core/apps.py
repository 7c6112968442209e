"""The kernel every business app builds on: roles, access rules, errors, outbox, audit, API."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "brm.core"
    label = "core"
    verbose_name = _("BRM platform")
