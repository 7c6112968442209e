"""How long records that hold people's data are kept (GDPR art. 5(1)(e), storage limitation)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brm.core.models import SingletonSettings


class RetentionSettings(SingletonSettings):
    """The retention period per kind of record, applied every night by
    `brm.privacy.services.apply_retention` (defaults in code, edited in the admin)."""

    meeting_notes_years = models.PositiveSmallIntegerField(
        default=3,
        help_text=_(
            "Blank the BRM's private notes of meetings older than this many years. 0 keeps them "
            "for ever."
        ),
    )
    review_minutes_years = models.PositiveSmallIntegerField(
        default=6,
        help_text=_(
            "Blank the minutes of reviews held more than this many years ago. 0 keeps them for "
            "ever."
        ),
    )
    closed_complaint_text_years = models.PositiveSmallIntegerField(
        default=2,
        help_text=_(
            "Remove the free text (description, remedy, resolution, comments) of complaints "
            "closed more than this many years ago; the figures stay. 0 keeps them for ever."
        ),
    )
    outbox_days = models.PositiveSmallIntegerField(
        default=90,
        help_text=_(
            "Delete copies of emails sent (or given up) more than this many days ago, and "
            "daily-summary copies already summarised. 0 keeps them for ever."
        ),
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
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return "Retention settings"
