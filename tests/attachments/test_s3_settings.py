"""`BRM_ATTACHMENT_STORAGE=s3` and the `BRM_ATTACHMENT_S3_*` variables become the attachments
storage's options (read by settings.py in a fresh process, as a deployment would)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PRINT_STORAGE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['attachments']))"
)


def _storage(**env: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-c", PRINT_STORAGE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "brm.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    storage: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return storage


def test_the_s3_variables_become_the_storage_options():
    storage = _storage(
        BRM_ATTACHMENT_STORAGE="s3",
        BRM_ATTACHMENT_S3_BUCKET="brm-files",
        BRM_ATTACHMENT_S3_ENDPOINT_URL="https://minio.example.org",
        BRM_ATTACHMENT_S3_ADDRESSING_STYLE="path",
        BRM_ATTACHMENT_S3_PREFIX="files",
    )
    options = storage["OPTIONS"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (options["bucket_name"], options["endpoint_url"]) == (
        "brm-files",
        "https://minio.example.org",
    )
    assert (options["addressing_style"], options["location"]) == ("path", "files")
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    assert options["signature_version"] == "s3v4"


def test_the_default_is_the_private_folder_on_disk():
    storage = _storage()
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["location"].endswith("attachments")
