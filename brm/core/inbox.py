"""The in-app inbox, read and marked read: every query scoped to the user's own notifications.

Notifications are written by the delivery path only (`brm.core.delivery.notify_in_app`); here
a person lists theirs, counts the unread (the bell: one query on a partial index) and marks
them read. Another user's notification is `Notification.DoesNotExist` (a 404), never a 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from brm.core.models import Notification, NotificationQuerySet

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def inbox_for(user: AnyUser) -> NotificationQuerySet:
    """The user's notifications, newest first (none for an anonymous user)."""
    return Notification.objects.for_user(user).order_by("-created_at", "-pk")


def unread_count(user: AnyUser) -> int:
    """How many of the user's notifications are unread: one COUNT on the unread index."""
    return Notification.objects.for_user(user).unread().count()


def mark_read(user: AnyUser, pk: int) -> Notification:
    """Mark the user's notification `pk` read (kept as it was if already read) and return it.

    Raises `Notification.DoesNotExist` for an id that is not theirs."""
    with transaction.atomic():
        item = Notification.objects.for_user(user).select_for_update().get(pk=pk)
        if item.read_at is None:
            item.read_at = timezone.now()
            item.save(update_fields=["read_at", "updated_at"])
    return item


def mark_all_read(user: AnyUser) -> int:
    """Mark every unread notification of the user read (one UPDATE); returns how many."""
    return Notification.objects.for_user(user).mark_read()
