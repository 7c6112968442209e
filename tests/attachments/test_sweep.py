"""The periodic sweep of stored files no attachment names (`delete_orphan_files`), on the
filesystem; tests/attachments/test_s3_storage.py runs it on S3."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from brm.core.attachments.models import Attachment
from brm.core.attachments.services import attach_file, delete_orphan_files
from brm.core.attachments.tasks import delete_orphan_files_task
from tests.attachments.conftest import PDF, stored, upload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = "2026/10/" + "a" * 32
YOUNG = "2026/11/" + "b" * 32


def age(storage, name: str, modified: datetime) -> None:
    os.utime(storage.path(name), (modified.timestamp(), modified.timestamp()))


def put(storage, name: str, modified: datetime) -> str:
    """Store `name` as it is (no random name), last modified at `modified`."""
    assert storage.save(name, ContentFile(PDF)) == name
    age(storage, name, modified)
    return name


def names(storage) -> set[str]:
    root = Path(storage.location)
    return {str(path.relative_to(root)) for path in stored(storage)}


def test_it_deletes_files_without_a_row_older_than_an_hour_and_keeps_the_rest(
    storage, complaint, leader
):
    put(storage, OLD, NOW - timedelta(hours=1, seconds=1))
    put(storage, YOUNG, NOW - timedelta(minutes=59))  # its upload may still be committing
    kept = attach_file(complaint, upload(), actor=leader, allowed=True)
    age(storage, str(kept.file.name), NOW - timedelta(days=30))  # old, but named by a row
    put(storage, "2026/10/notes.txt", NOW - timedelta(days=30))  # not a name we give
    put(storage, "readme", NOW - timedelta(days=30))

    assert delete_orphan_files(now=NOW) == [OLD]
    assert names(storage) == {YOUNG, str(kept.file.name), "2026/10/notes.txt", "readme"}
    # A second run finds nothing more.
    assert delete_orphan_files(now=NOW) == []
    assert Attachment.objects.get() == kept


def test_it_removes_the_file_a_rolled_back_upload_left(storage, complaint, leader):
    with pytest.raises(RuntimeError), transaction.atomic():
        attach_file(complaint, upload(), actor=leader, allowed=True)
        raise RuntimeError("the surrounding work failed")
    [left] = stored(storage)
    assert not Attachment.objects.exists()

    stored_at = datetime.fromtimestamp(left.stat().st_mtime, tz=UTC)
    assert delete_orphan_files(now=stored_at + timedelta(minutes=30)) == []  # kept for an hour
    later = stored_at + timedelta(hours=2)
    assert delete_orphan_files(now=later) == [str(left.relative_to(storage.location))]
    assert stored(storage) == []


def test_it_does_nothing_before_the_first_upload(storage):
    assert not Path(storage.location).exists()
    assert delete_orphan_files(now=NOW) == []


def test_the_periodic_task_reports_how_many_it_deleted(storage, settings):
    put(storage, OLD, datetime.now(UTC) - timedelta(hours=2))
    assert delete_orphan_files_task.apply().get() == 1
    assert stored(storage) == []
    assert "attachments.delete_orphan_files" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
