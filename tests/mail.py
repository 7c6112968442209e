"""Test helpers for the kernel's delivery path: run queued sends in-process, and mail backends
that fail the way a real mail server does."""

from __future__ import annotations

import copy
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


def by_message(outbox: list[Any]) -> list[Any]:
    """The emails in `outbox` as messages: the copies of one message (same Message-ID; an
    optional kind goes out one copy per recipient, each with its own unsubscribe link) merged
    into one whose `to` lists every recipient, in the order first sent."""
    merged: dict[object, Any] = {}
    for message in outbox:
        key = message.extra_headers.get("Message-ID") or id(message)
        if key in merged:
            merged[key].to = [*merged[key].to, *message.to]
        else:
            merged[key] = copy.copy(message)
            merged[key].to = list(message.to)
    return list(merged.values())
