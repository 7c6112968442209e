"""Webhook subscriptions, one delivery per event and subscription, and every attempt to send it."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brm.core.models import TimeStampedModel, VersionedModel
from brm.core.validators import single_line


class WebhookSubscription(VersionedModel, TimeStampedModel):
    """An endpoint that receives some event types, optionally for some business units only.

    `secret` signs every delivery (``whsec_<base64 of 32 random bytes>``, Standard Webhooks); it
    is shown once, when created or rotated. After a rotation the `previous_secret` keeps signing
    too (two signatures in one header) until `previous_secret_expires_at`, so the receiver can
    switch keys without missing a message. `failure_count` counts deliveries given up on in a
    row; at ``WEBHOOK_DISABLE_AFTER_FAILURES`` the subscription is disabled (`disabled_at`,
    `disabled_reason`) and its `owner` is emailed. A success sets the count back to 0.
    """

    url = models.URLField(max_length=500, help_text=_("http(s) address that receives the events."))
    description = models.CharField(max_length=200, blank=True, validators=[single_line])
    event_types = models.JSONField(
        default=list, help_text=_('Event types sent here, e.g. ["complaint.filed"].')
    )
    units = models.ManyToManyField(
        "stakeholders.BusinessUnit",
        blank=True,
        related_name="+",
        help_text=_("Only events of these business units; none chosen means every unit."),
    )
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Told by email when the subscription is disabled after repeated failures."),
    )
    failure_count = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.event_types) or 'no events'})"

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a message sent at `now`: the current one, plus the previous
        one while its overlap after a rotation lasts."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at is not None
            and self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets


class DeliveryState(models.TextChoices):
    """Where one delivery stands. Only PENDING -> SENDING is a claim; the others are final,
    except that an administrator may send any delivery again (back to PENDING)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
    CANCELLED = "cancelled", _("Cancelled (subscription disabled)")


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookDelivery(TimeStampedModel):
    """One event for one subscription: the message (`payload`, the JSON body) and its state.

    `message_id` is the Standard Webhooks `webhook-id`: unique per message and the same on every
    retry and re-send, so the receiver can drop duplicates. `key` (the event's once-only key,
    may be empty) is unique per subscription. `next_attempt_at` is when it may be tried again.
    """

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event_type = models.CharField(max_length=64, db_index=True)
    key = models.CharField(max_length=200, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(help_text=_("The JSON body: type, timestamp and data."))
    state = models.CharField(
        max_length=9, choices=DeliveryState, default=DeliveryState.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "key"],
                condition=~Q(key=""),
                name="webhook_delivery_once_per_key",
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP attempt to send a delivery: when, the answer (or the error), and how long."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True, help_text=_("The first 1,000 characters."))
    error = models.TextField(blank=True)
    will_retry = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error[:40]}"
