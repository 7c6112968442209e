"""The audit log of administrative acts that are not edits of one record: a person's data
exported or erased, a retention run. Edits of records are in their django-simple-history rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One administrative act: who (`actor`, empty for the system), what (`action`, e.g.
    "privacy.erase"), about whom or what (`subject_type` "stakeholder" | "user" | "" and
    `subject_id`) and a JSON `details` of counts and ids.

    Never holds a person's name, email or free text, so an erasure need not rewrite it and the
    log keeps proving what was done after the person is gone (GDPR art. 5(2), accountability).
    Written by `brm.core.audit.record_event`; append-only in the admin.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system acted (a nightly job)."),
    )
    action = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        subject = f" {self.subject_type} #{self.subject_id}" if self.subject_type else ""
        return f"{self.action}{subject} at {self.at:%Y-%m-%d %H:%M}"
