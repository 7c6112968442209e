"""The in-app inbox: what the delivery path emails a user also waits for them under the bell.

One `Notification` per (message, user), written by `brm.core.delivery.deliver` in the same
transaction as the message's sent mark, so every kind of email is covered in one place and a
task that runs twice notifies once (the sent mark is a conditional UPDATE; the unique constraint
holds even so).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.models.base import TimeStampedModel
from brm.core.models.delivery import OutboundEmail

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: AnyUser) -> NotificationQuerySet:
        """The user's own notifications (nobody reads another's inbox, administrators neither)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def mark_read(self, now: datetime | None = None) -> int:
        """Mark the unread ones among these read (one UPDATE); returns how many changed."""
        return self.unread().update(read_at=now or timezone.now(), updated_at=timezone.now())


class Notification(TimeStampedModel):
    """An email as the inbox shows it: `subject` and `body` as composed for the user (in their
    time zone, without the unsubscribe footer), `link` the site path of the record it is about
    ("" if none), `read_at` when they opened or dismissed it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="inbox_items")
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["email", "user"], name="notification_once_per_user")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_newest"),
            # The bell's unread count reads only this small index.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} for {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
