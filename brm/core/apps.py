"""The kernel every business app builds on: roles, access rules, errors, outbox, audit, API."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from brm.core import prepared


class CoreConfig(AppConfig):
    name = "brm.core"
    label = "core"
    verbose_name = _("BRM platform")

    def ready(self) -> None:
        # A prepared statement a migration elsewhere made stale is planned again, not a 500.
        connection_created.connect(prepared.install, dispatch_uid="brm.core.prepared.install")
