"""One file attached to one business record."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brm.core.counting import count_of
from brm.core.models import TimeStampedModel

STORAGE_ALIAS = "attachments"


def attachment_storage() -> Storage:
    """The storage named "attachments" in `settings.STORAGES` (files under var/attachments, or
    an S3-compatible bucket). Never served from a public URL: only the scoped download views
    read it. A callable, so migrations do not freeze one storage's settings."""
    return storages[STORAGE_ALIAS]


def storage_name(instance: Attachment, filename: str) -> str:
    """A random name, e.g. `2026/11/3f9c...e1` (128 bits): nothing of the user's file name
    reaches the storage, so a name can neither collide, traverse paths nor be guessed."""
    return f"{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def _of_model(self, model: type[models.Model] | models.Model) -> AttachmentQuerySet:
        # By the content type's natural key (a join), not its id: no lookup query whose cost
        # would depend on what the process cached before, so query counts stay fixed.
        meta = model._meta
        return self.filter(
            record_type__app_label=meta.app_label, record_type__model=meta.model_name
        )

    def of(self, record: models.Model) -> AttachmentQuerySet:
        """The files of `record`, oldest first, with their uploader (one query)."""
        return (
            self._of_model(record)
            .filter(record_id=record.pk)
            .select_related("uploaded_by")
            .order_by("created_at", "pk")
        )

    def count_for(self, model: type[models.Model]) -> Coalesce:
        """An expression for annotating rows of `model` with their number of files, e.g.
        `Interaction.objects.annotate(file_count=Attachment.objects.count_for(Interaction))`:
        a subquery, so a list shows counts without one more query (`brm.core.counting`)."""
        return count_of(self._of_model(model), "record_id")


class Attachment(TimeStampedModel):
    """A file on a record (`record_type` + `record_id`): a complaint's evidence, a meeting's
    slides, a review's minutes or pack, a demand's business case.

    `file` holds the random storage name; `filename` is the original name, cleaned
    (`brm.core.attachments.content.clean_filename`), given back in `Content-Disposition`;
    `content_type` is the type sniffed from the bytes when it was uploaded (never what the client
    said); `size` in bytes. Added and removed only through `brm.core.attachments.services`,
    which check who may act and write the history (who, when) kept by django-simple-history.
    """

    record_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("record_type", "record_id")
    file = models.FileField(storage=attachment_storage, upload_to=storage_name, max_length=100)
    filename = models.CharField(max_length=200, help_text=_("The name it was uploaded with."))
    content_type = models.CharField(max_length=100, help_text=_("Sniffed from the content."))
    size = models.PositiveBigIntegerField(help_text=_("Bytes."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AttachmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return self.filename
