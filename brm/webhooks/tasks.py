"""The webhooks' Celery tasks (found by autodiscovery): one delivery, and the sweep."""

from __future__ import annotations

from brm.webhooks.sending import deliver_webhook, sweep_webhooks

__all__ = ["deliver_webhook", "sweep_webhooks"]
