"""Each person's time zone and which notification emails they want, and how.

`UserPreference` belongs to a user (one row, created on first use); `AddressOptOut` records an
unsubscribe from an address that has no login (a business stakeholder asked by a survey).
Both are read by the one recipient filter in `brm.core.delivery`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brm.core.models.base import TimeStampedModel


class DeliveryMode(models.TextChoices):
    """How a person receives one kind of notification email."""

    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("In a daily summary")
    OFF = "off", _("Not at all")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name that `zoneinfo` knows ("Europe/London"); else ValidationError."""
    message = gettext("%(value)r is not a time zone name (e.g. Europe/London).") % {"value": value}
    if not value or value != value.strip():
        raise ValidationError(message)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationError(message) from exc


def validate_language(value: str) -> None:
    """A language code from ``settings.LANGUAGES`` ("es", "en-gb"); empty means the browser's."""
    if value and value not in dict(settings.LANGUAGES):
        raise ValidationError(
            gettext("%(value)s is not a language this site speaks.") % {"value": repr(value)}
        )


def validate_notification_modes(value: Any) -> None:
    """A mapping {email kind: "immediate" | "daily" | "off"} of known kinds."""
    if not isinstance(value, dict):
        raise ValidationError(gettext("Notification preferences are a mapping of kind to mode."))
    kinds = getattr(settings, "NOTIFICATION_KINDS", {})
    for kind, mode in value.items():
        if kind not in kinds:
            raise ValidationError(
                gettext("Unknown kind of notification: %(kind)s.") % {"kind": repr(kind)}
            )
        if mode not in DeliveryMode.values:
            raise ValidationError(
                gettext("Unknown delivery mode %(mode)s for %(kind)s.")
                % {"mode": repr(mode), "kind": kind}
            )


class UserPreference(TimeStampedModel):
    """One user's time zone (pages, emails and invitations show times in it), language (empty:
    the browser's) and notification preferences. `notifications` maps an email kind
    (``settings.NOTIFICATION_KINDS``) to a `DeliveryMode`; a kind not listed is sent
    immediately. An empty `time_zone` means the site's (``settings.TIME_ZONE``). Created on
    first use (`for_user`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("IANA time zone name, e.g. Europe/London; empty for the site's."),
    )
    notifications = models.JSONField(
        default=dict, blank=True, validators=[validate_notification_modes]
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_language],
        help_text=_("Language code from settings.LANGUAGES; empty for the browser's."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    @classmethod
    def for_user(cls, user: Any) -> UserPreference:
        """The user's row, created with the defaults on first use."""
        pref, _ = cls.objects.get_or_create(user=user)
        return pref

    @property
    def zone(self) -> ZoneInfo:
        """The effective time zone: the user's, else the site's."""
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)

    def mode(self, kind: str) -> DeliveryMode:
        return DeliveryMode(self.notifications.get(kind, DeliveryMode.IMMEDIATE))


class AddressOptOut(TimeStampedModel):
    """An address without a login that unsubscribed from one kind of email (``"*"``: all kinds
    that may be refused). Stored lower-cased."""

    email = models.EmailField()
    kind = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("address opt-out")
        verbose_name_plural = _("address opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="address_opt_out_once")
        ]

    def __str__(self) -> str:
        return f"{self.email} opted out of {self.kind}"


class DeferredEmail(TimeStampedModel):
    """A notification held back for a person's daily summary (their mode is DAILY for its
    kind): subject and text as composed, in their time zone. `summarised_at` is set when the
    summary that carried it was accepted by the mail server."""

    email = models.EmailField(db_index=True)
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    summarised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deferred email")
        verbose_name_plural = _("deferred emails")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.email}"
