"""The attachments' periodic job (found by Celery's autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from brm.core.attachments.services import delete_orphan_files


@shared_task(name="attachments.delete_orphan_files")
def delete_orphan_files_task() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE "delete-orphan-attachment-files"): `delete_orphan_files()`;
    returns how many files it deleted."""
    return len(delete_orphan_files())
