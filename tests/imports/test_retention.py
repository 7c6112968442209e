"""Uploaded import files are deleted a retention period after their job finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from brm.core.errors import StateConflict
from brm.imports.jobs import confirm_import, delete_old_files, delete_old_files_task
from brm.imports.models import ImportJob, JobStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 3, 10, tzinfo=UTC)
FILE = b"Email,Name,Unit\nana@example.com,Ana,fin\n"


def _job(user, *, status=JobStatus.DONE, finished_days_ago: float | None = 10, **extra):
    finished = None if finished_days_ago is None else NOW - timedelta(days=finished_days_ago)
    result = {"ok": True, "total": 1}
    return ImportJob.objects.create(
        kind="stakeholders",
        data=FILE,
        created_by=user,
        status=status,
        finished_at=finished,
        result=result,
        **extra,
    )


def test_it_deletes_files_past_retention_and_keeps_the_job(admin_user) -> None:
    old = _job(admin_user, finished_days_ago=settings.BRM_IMPORT_FILE_RETENTION_DAYS + 1)
    failed = _job(admin_user, status=JobStatus.FAILED, finished_days_ago=30)
    assert delete_old_files(NOW) == 2
    for job in (old, failed):
        job.refresh_from_db()
        assert (bytes(job.data), job.file_deleted_at) == (b"", NOW)
    assert old.result == {"ok": True, "total": 1} and old.created_by == admin_user


def test_it_keeps_recent_queued_and_running_jobs_files(admin_user) -> None:
    recent = _job(admin_user, finished_days_ago=settings.BRM_IMPORT_FILE_RETENTION_DAYS - 0.5)
    queued = _job(admin_user, status=JobStatus.QUEUED, finished_days_ago=None)
    running = _job(admin_user, status=JobStatus.RUNNING, finished_days_ago=None)
    assert delete_old_files(NOW) == 0
    for job in (recent, queued, running):
        job.refresh_from_db()
        assert bytes(job.data) == FILE and job.file_deleted_at is None


def test_a_second_run_deletes_nothing_more(admin_user) -> None:
    job = _job(admin_user, finished_days_ago=30)
    assert delete_old_files(NOW) == 1
    assert delete_old_files(NOW + timedelta(hours=1)) == 0
    job.refresh_from_db()
    assert job.file_deleted_at == NOW  # the first run's time is kept


def test_the_retention_period_comes_from_settings(admin_user, settings) -> None:
    settings.BRM_IMPORT_FILE_RETENTION_DAYS = 1
    job = _job(admin_user, finished_days_ago=2)
    assert delete_old_files(NOW) == 1
    settings.BRM_IMPORT_FILE_RETENTION_DAYS = 90
    later = _job(admin_user, finished_days_ago=30)
    assert delete_old_files(NOW) == 0
    assert (
        ImportJob.objects.get(pk=job.pk).file_deleted_at
        and not ImportJob.objects.get(pk=later.pk).file_deleted_at
    )


def test_a_dry_run_whose_file_is_deleted_cannot_be_confirmed(admin_user) -> None:
    preview = _job(admin_user, finished_days_ago=30)
    delete_old_files(NOW)
    preview.refresh_from_db()
    with pytest.raises(StateConflict, match="deleted"):
        confirm_import(preview, user=admin_user)


def test_the_periodic_task_is_scheduled_and_runs_the_sweep(admin_user) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["delete-old-import-files"]
    assert entry["task"] == delete_old_files_task.name
    _job(admin_user, finished_days_ago=8)
    with time_machine.travel(NOW, tick=False):
        assert delete_old_files_task() == 1
        assert delete_old_files_task() == 0
