"""Test helpers for the kernel's delivery path: run queued sends in-process, and mail backends
that fail the way a real mail server does."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core.mail.backends.base import BaseEmailBackend
from kombu.exceptions import OperationalError

from brm.core import delivery


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises, nothing is accepted."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("smtp down")


REFUSING_BACKEND = "tests.mail.RefusingBackend"


def send_queued() -> Any:
    """Patch the queueing of `deliver_email` so a queued send runs in-process at once."""
    return mock.patch.object(
        delivery.deliver_email, "delay", side_effect=lambda pk: delivery.deliver(pk)
    )


def broker_down() -> Any:
    """Patch the queueing of `deliver_email` to fail as it does when Redis is unreachable."""
    return mock.patch.object(
        delivery.deliver_email,
        "delay",
        side_effect=OperationalError("Error 111 connecting to redis. Connection refused."),
    )


def refusing_mail(settings: Any) -> None:
    """Point Django's mail (Django 6.1 `MAILERS`) at `RefusingBackend`, through the
    pytest-django `settings` fixture."""
    settings.MAILERS = {"default": {"BACKEND": REFUSING_BACKEND, "OPTIONS": {}}}
