"""An import job: the uploaded file, who started it, its state, and what it found or did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One run of `brm.imports.runner.run_import` (a dry run or the real one) as a Celery job.

    `data` keeps the file so a confirmed dry run runs again on exactly what was previewed, until
    the retention period after the job finished (then it is emptied and `file_deleted_at` set);
    `result` is `Summary.as_dict()` once done. Progress while running lives in the shared cache
    (`brm.imports.jobs.progress`), since the import's own writes are one open transaction.
    """

    kind = models.CharField(max_length=20)
    filename = models.CharField(max_length=200, blank=True)
    data = models.BinaryField()
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=JobStatus, default=JobStatus.QUEUED)
    result = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    preview = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmations"
    )
    # When `data` was emptied: a finished job keeps its file BRM_IMPORT_FILE_RETENTION_DAYS days
    # (brm.imports.jobs.delete_old_files); its result, who ran it and when stay.
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [
            # The retention sweep looks for finished jobs that still hold their file.
            models.Index(
                fields=["finished_at"],
                condition=models.Q(file_deleted_at__isnull=True),
                name="import_job_file_kept",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"
