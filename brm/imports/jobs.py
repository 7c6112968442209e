"""Start an import job (after commit, through the kernel's outbox), run it in a worker, and
delete uploaded files once they are past their retention period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from brm.core.errors import ForbiddenAction, StateConflict
from brm.core.i18n import language_for
from brm.core.outbox import queue_after_commit
from brm.imports.models import ImportJob, JobStatus
from brm.imports.permissions import may_import
from brm.imports.register import KINDS
from brm.imports.runner import run_import

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PROGRESS_CACHE = "shared"


def _progress_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def progress(job: ImportJob) -> dict[str, int]:
    """{"done": rows, "total": rows} of a running job (done == total once finished)."""
    if job.status == JobStatus.DONE and job.result:
        total = int(job.result.get("total", 0))
        return {"done": total, "total": total}
    stored: Any = caches[PROGRESS_CACHE].get(_progress_key(job.pk))
    return {"done": stored[0], "total": stored[1]} if stored else {"done": 0, "total": 0}


@transaction.atomic
def start_import(
    *, user: User, kind: str, data: bytes, filename: str = "", dry_run: bool = True
) -> ImportJob:
    """Record the job and queue it once committed, to run in the language active now (the
    requester's page or API call: their chosen language, else their browser's). Raises
    `ForbiddenAction` (403) unless `may_import(user)`, `ValueError` for an unknown kind (the
    callers offer only `KINDS`)."""
    if not may_import(user):
        raise ForbiddenAction(gettext("Only administrators and integrations import records."))
    if kind not in KINDS:
        raise ValueError(kind)
    job = ImportJob.objects.create(
        kind=kind, data=data, filename=filename[:200], dry_run=dry_run, created_by=user
    )
    queue_after_commit(run_import_job, job.pk, translation.get_language())
    return job


def confirm_import(preview: ImportJob, *, user: User) -> ImportJob:
    """The real run of a finished, error-free dry run, on the same file. Raises `StateConflict`
    (409) when `preview` is not one, `ForbiddenAction` (403) unless `may_import(user)`."""
    if not (preview.dry_run and preview.status == JobStatus.DONE and preview.result):
        raise StateConflict(gettext("Only a finished dry run can be confirmed."))
    if not preview.result.get("ok"):
        raise StateConflict(gettext("The dry run found errors; correct the file and try again."))
    if preview.file_deleted_at is not None:
        raise StateConflict(gettext("The file of this dry run has been deleted; upload it again."))
    job = start_import(
        user=user,
        kind=preview.kind,
        data=bytes(preview.data),
        filename=preview.filename,
        dry_run=False,
    )
    ImportJob.objects.filter(pk=job.pk).update(preview=preview)
    return job


@shared_task(name="imports.run_import_job")
def run_import_job(job_id: int, language: str | None = None) -> None:
    """Run a queued job once: claimed by one UPDATE, so a second delivery of the task is a no-op.

    Row errors are written in `language` (the one the job was started in); without it (a task
    queued before the argument existed) in the language the requester's account chose."""
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    cache = caches[PROGRESS_CACHE]

    def report(done: int, total: int) -> None:
        cache.set(_progress_key(job_id), (done, total), timeout=3600)

    # The row errors are stored and shown to whoever ran it: written in their language.
    language = language or language_for([job.created_by.email] if job.created_by else [])
    try:
        with translation.override(language):
            summary = run_import(
                job.kind,
                bytes(job.data),
                job.filename,
                actor=job.created_by,
                dry_run=job.dry_run,
                progress=report,
            )
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now()
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=JobStatus.DONE, result=summary.as_dict(), finished_at=timezone.now()
    )


def file_retention() -> timedelta:
    """How long a finished job keeps its file: `settings.BRM_IMPORT_FILE_RETENTION_DAYS` days."""
    return timedelta(days=getattr(settings, "BRM_IMPORT_FILE_RETENTION_DAYS", 7))


def delete_old_files(now: datetime | None = None) -> int:
    """Empty the file of every job that finished (done or failed) more than `file_retention()`
    before `now`; the job, its result and who ran it stay. Returns how many files were deleted.

    One conditional UPDATE (`... WHERE file_deleted_at IS NULL`), so a second run, or two at
    once, deletes nothing more; queued and running jobs are never touched.
    """
    now = now or timezone.now()
    return ImportJob.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED],
        finished_at__lt=now - file_retention(),
        file_deleted_at__isnull=True,
    ).update(data=b"", file_deleted_at=now)


@shared_task(name="imports.delete_old_files")
def delete_old_files_task() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE "delete-old-import-files"): `delete_old_files()`."""
    return delete_old_files()
