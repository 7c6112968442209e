"""The imports' Celery tasks (found by autodiscovery)."""

from __future__ import annotations

from brm.imports.jobs import delete_old_files_task, run_import_job

__all__ = ["delete_old_files_task", "run_import_job"]
