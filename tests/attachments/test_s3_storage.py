"""Attachments on S3 over real HTTP: django-storages' `S3Storage` (boto3) against `moto_server`,
a standalone S3-compatible server started on a free 127.0.0.1 port for this module (no in-process
mocks). Upload through the page, the object under a random name in the bucket, the scoped
download, 404 for an outsider, removal, nothing left of a refused file, and the sweep of
objects no attachment names.

Nothing here is skipped: when `moto_server` (the `moto[server]` dev dependency) cannot start, the
tests fail and say why.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from brm.core.attachments.models import STORAGE_ALIAS, Attachment
from brm.core.attachments.services import delete_orphan_files
from tests.attachments.conftest import EXE, PDF, upload

pytestmark = pytest.mark.django_db

BUCKET = "brm-attachments"
PREFIX = "attachments"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
REGION = "us-east-1"
START_SECONDS = 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_server_command() -> list[str]:
    """The `moto_server` next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("moto_server")
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if found is None:
        pytest.fail("moto_server not found: install the dev extra (pip install -e '.[dev]').")
    return [found]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a moto_server running for this module; stopped after."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*moto_server_command(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(
                        f"moto_server exited with {process.returncode}: {log.read_text()[-2000:]}"
                    )
                try:
                    with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"moto_server did not answer on {url} within {START_SECONDS} s: "
                            f"{log.read_text()[-2000:]}"
                        )
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def bucket(endpoint: str):
    """An empty bucket (made fresh for each test), as a boto3 `Bucket`."""
    s3 = boto3.resource(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    created = s3.create_bucket(Bucket=BUCKET)
    yield created
    created.objects.all().delete()
    created.delete()


@pytest.fixture
def storage(settings, monkeypatch: pytest.MonkeyPatch, endpoint: str, bucket) -> Storage:
    """Overrides the conftest's filesystem `storage`: STORAGES["attachments"] is S3 on the
    moto server (the options brm/settings.py builds for BRM_ATTACHMENT_STORAGE=s3), and the
    field is re-pointed at it, as the conftest does for the filesystem."""
    settings.STORAGES = {
        **settings.STORAGES,
        STORAGE_ALIAS: {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": REGION,
                **KEYS,
                "location": PREFIX,
                "default_acl": "private",
                "file_overwrite": False,
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
    }
    store = storages[STORAGE_ALIAS]  # rebuilt: Django resets `storages` when STORAGES changes
    assert type(store).__name__ == "S3Storage"
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", store)
    return store


def keys(bucket) -> list[str]:
    return sorted(item.key for item in bucket.objects.all())


def test_an_uploaded_pdf_is_stored_in_the_bucket_under_a_random_name(
    client, complaint, leader, storage, bucket
):
    client.force_login(leader)
    response = client.post(f"/complaints/{complaint.pk}/files/", {"file": upload("Budget.pdf")})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    [key] = keys(bucket)
    assert key == f"{PREFIX}/{attachment.file.name}"
    assert re.fullmatch(rf"{PREFIX}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}", key), key
    assert bucket.Object(key).get()["Body"].read() == PDF


def test_the_scoped_download_hands_back_the_bytes_as_an_attachment(
    client, complaint, leader, leader_b, storage, bucket
):
    client.force_login(leader)
    client.post(f"/complaints/{complaint.pk}/files/", {"file": upload("Budget.pdf")})
    attachment = Attachment.objects.get()
    url = f"/complaints/{complaint.pk}/files/{attachment.pk}/"

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Budget.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"

    client.force_login(leader_b)  # another unit's leader: the complaint does not exist for them
    assert client.get(url).status_code == 404


def test_removing_a_file_deletes_its_object(
    client, complaint, leader, storage, bucket, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    client.post(f"/complaints/{complaint.pk}/files/", {"file": upload()})
    attachment = Attachment.objects.get()
    assert len(keys(bucket)) == 1

    with django_capture_on_commit_callbacks(execute=True):  # the bytes go after the commit
        response = client.post(f"/complaints/{complaint.pk}/files/{attachment.pk}/delete/")
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert keys(bucket) == []


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [("Screenshot.png", PDF, "disguised"), ("a.pdf", EXE, "is not a type you may attach")],
)
def test_a_refused_upload_leaves_no_object(
    client, complaint, leader, storage, bucket, name, data, error
):
    client.force_login(leader)
    refused = client.post(f"/complaints/{complaint.pk}/files/", {"file": upload(name, data)})
    assert refused.status_code == 400
    assert error in refused.content.decode()
    assert not Attachment.objects.exists()
    assert keys(bucket) == []


def test_the_sweep_deletes_objects_no_attachment_names(client, complaint, leader, storage, bucket):
    client.force_login(leader)
    client.post(f"/complaints/{complaint.pk}/files/", {"file": upload()})
    kept = f"{PREFIX}/{Attachment.objects.get().file.name}"
    orphan = storage.save("2026/10/" + "c" * 32, ContentFile(PDF))  # as a rolled-back upload
    stored_at = bucket.Object(f"{PREFIX}/{orphan}").last_modified  # the server's clock

    assert delete_orphan_files(now=stored_at + timedelta(minutes=30)) == []
    assert delete_orphan_files(now=stored_at + timedelta(hours=2)) == [orphan]
    assert keys(bucket) == [kept]
    assert delete_orphan_files(now=stored_at + timedelta(hours=2)) == []
