"""The imports' Celery task (found by autodiscovery)."""

from __future__ import annotations

from brm.imports.jobs import run_import_job

__all__ = ["run_import_job"]
