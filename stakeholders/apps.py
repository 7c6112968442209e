from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = _("Stakeholder register")
