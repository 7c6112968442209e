"""System checks of our own settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

PUBLISHED_KEY_MESSAGE = (
    "SECRET_KEY is the development key published in the repository; set SECRET_KEY "
    "(or SECRET_KEY_FILE) when DEBUG is off."
)


@register(Tags.security, deploy=True)
def published_secret_key(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if not settings.DEBUG and getattr(settings, "SECRET_KEY_IS_PUBLISHED", False):
        return [Error(PUBLISHED_KEY_MESSAGE, id="brm.E001")]
    return []


def refuse_published_secret_key() -> None:
    """Called where the app starts serving (WSGI, Celery worker): no published key in production."""
    if not settings.DEBUG and getattr(settings, "SECRET_KEY_IS_PUBLISHED", False):
        raise ImproperlyConfigured(PUBLISHED_KEY_MESSAGE)
