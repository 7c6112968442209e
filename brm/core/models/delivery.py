"""The kernel's outbox of emails: one row per message that must go out, and its delivery state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brm.core.models.base import TimeStampedModel


class DeliveryState(models.TextChoices):
    """Where one message stands. Only PENDING -> SENDING is a claim; SENT, SKIPPED and FAILED are
    final (FAILED after `DELIVERY_MAX_ATTEMPTS` raising sends)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped (nobody to send to)")
    FAILED = "failed", _("Failed (gave up)")


class OutboundEmail(TimeStampedModel):
    """One email that must go out, written in the same transaction as the business change.

    `kind` names the composer (``settings.DELIVERY_COMPOSERS``) that builds the email from the
    business record `ref` at send time; `key` says what the message is ("complaints.notification:
    12"), unique, so queueing the same notice twice yields one row. `message_id` is drawn once, at
    creation, and sent with every attempt, so a resend after a crash is recognisably the same
    message. The claim is the conditional UPDATE pending -> sending in `brm.core.delivery`.
    """

    kind = models.CharField(max_length=64)
    ref = models.PositiveBigIntegerField(
        help_text=_("Id of the business record the email is about.")
    )
    key = models.CharField(max_length=200, unique=True)
    to = models.TextField(blank=True, help_text=_("Fixed recipient(s), comma-separated; or empty."))
    state = models.CharField(
        max_length=8, choices=DeliveryState, default=DeliveryState.PENDING, db_index=True
    )
    message_id = models.CharField(max_length=255, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True, help_text=_("Comma-separated, filled when sent."))
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["kind", "ref"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
