"""People's data in bulk import files (GDPR): the kept files that name a person, and their
erasure. Collected by `brm.privacy`."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from brm.core import privacy
from brm.core.privacy import Person
from brm.imports.models import ImportJob, JobStatus


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _naming(person: Person) -> list[int]:
    """Ids of jobs whose kept file or result names the person (files are read in Python: a
    binary column cannot be searched by the database)."""
    strings = [s.lower() for s in person.strings]
    if not strings:
        return []
    ids = []
    jobs = ImportJob.objects.values_list("pk", "data", "result").order_by("pk")
    for pk, data, result in jobs.iterator(chunk_size=50):
        text = (_text(bytes(data or b"")) + json.dumps(result or {})).lower()
        if any(s in text for s in strings):
            ids.append(pk)
    return ids


def export_part(person: Person) -> dict[str, Any]:
    """Import jobs whose file or result names them (the job, not the file's other rows)."""
    return {
        "import_jobs": privacy.rows(
            ImportJob.objects.filter(pk__in=_naming(person)),
            "id",
            "kind",
            "filename",
            "created_at",
            "file_deleted_at",
        )
    }


def erase_part(person: Person) -> dict[str, int]:
    """Finished jobs whose file names them lose the file (as the retention period would do),
    and mentions of them leave the result. A queued or running job keeps its file until it
    finishes. A second run changes nothing."""
    now = timezone.now()
    changed = 0
    finished = [JobStatus.DONE, JobStatus.FAILED]
    for job in ImportJob.objects.filter(pk__in=_naming(person), status__in=finished):
        result = job.result
        if result is not None:
            result = json.loads(privacy.scrub(json.dumps(result), person))
        changed += ImportJob.objects.filter(pk=job.pk).update(
            data=b"", file_deleted_at=job.file_deleted_at or now, result=result
        )
    return {"import_files": changed}
