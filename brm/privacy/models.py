"""How long records that hold people's data are kept (GDPR art. 5(1)(e), storage limitation)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brm.core.models import SingletonSettings

KEEP = "0 keeps them for ever."


class RetentionSettings(SingletonSettings):
    """The retention period per kind of record, applied every night by
    `brm.privacy.services.apply_retention` (defaults in code, edited in the admin)."""

    meeting_notes_years = models.PositiveSmallIntegerField(
        default=3,
        help_text=f"Blank the BRM's private notes of meetings older than this many years. {KEEP}",
    )
    review_minutes_years = models.PositiveSmallIntegerField(
        default=6,
        help_text=f"Blank the minutes of reviews held more than this many years ago. {KEEP}",
    )
    closed_complaint_text_years = models.PositiveSmallIntegerField(
        default=2,
        help_text="Remove the free text (description, remedy, resolution, comments) of "
        f"complaints closed more than this many years ago; the figures stay. {KEEP}",
    )
    outbox_days = models.PositiveSmallIntegerField(
        default=90,
        help_text="Delete copies of emails sent (or given up) more than this many days ago, and "
        f"daily-summary copies already summarised. {KEEP}",
    )
    # The in-app inbox: a read notification has done its job; an unread one in an inbox nobody
    # opens (someone who left, a shared account) must not pile up for ever either, so it goes
    # too, later. The record a notification points at stays; only the inbox's copy goes.
    inbox_read_days = models.PositiveSmallIntegerField(
        default=90,
        help_text=_(
            "Delete in-app notifications read more than this many days ago. 0 keeps them for ever."
        ),
    )
    inbox_unread_days = models.PositiveSmallIntegerField(
        default=365,
        help_text=_(
            "Delete unread in-app notifications received more than this many days ago. "
            "0 keeps them for ever."
        ),
    )

    class Meta:
        verbose_name = "retention settings"
        verbose_name_plural = "retention settings"

    def __str__(self) -> str:
        return "Retention settings"
