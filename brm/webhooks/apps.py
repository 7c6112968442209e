from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """The integration floor: listens to the kernel's events (brm.core.events) and sends them."""

    name = "brm.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from brm.core.events import event_published  # lazy import: apps must be loaded first
        from brm.webhooks.recording import record_events  # lazy import: apps must be loaded first

        event_published.connect(record_events, dispatch_uid="brm.webhooks.record_events")
