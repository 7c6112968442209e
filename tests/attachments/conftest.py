"""Fixtures for attachments: a private storage per test, sample files, a record of each kind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from brm.core.attachments.models import Attachment
from brm.core.roles import Role
from tests.factories import (
    ComplaintFactory,
    DemandFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    UserFactory,
)

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
CSV = "unit;amount\nFinance;12,50\nZürich;3\n".encode()


def office(part: str) -> bytes:
    """A minimal Office Open XML archive holding `part` (word/document.xml ...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(
    name: str = "minutes.pdf", data: bytes = PDF, content_type: str = ""
) -> SimpleUploadedFile:
    """An uploaded file; `content_type` is what a client claims (never trusted)."""
    return SimpleUploadedFile(name, data, content_type=content_type or "application/pdf")


@pytest.fixture(autouse=True)
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileSystemStorage:
    """Files go to this test's own folder; `stored(storage)` lists what is there."""
    store = FileSystemStorage(location=tmp_path / "attachments")
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", store)
    return store


def stored(storage: FileSystemStorage) -> list[Path]:
    root = Path(storage.location)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def colleague(unit_a):
    """Another leader of unit A: sees the unit's complaints but did not raise them."""
    user = UserFactory.create(username="colleague", role=Role.LEADER)
    StakeholderFactory.create(unit=unit_a, user=user, name="Cole League")
    return user


@pytest.fixture
def complaint(unit_a, leader):
    return ComplaintFactory.create(unit=unit_a, complainant=leader)


@pytest.fixture
def meeting(unit_a):
    return InteractionFactory.create(unit=unit_a)


@pytest.fixture
def review(unit_a):
    return ServiceReviewFactory.create(unit=unit_a)


@pytest.fixture
def demand(unit_a):
    return DemandFactory.create(unit=unit_a)
