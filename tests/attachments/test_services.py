"""Adding and removing files: who may, nothing kept of a refused upload, the history."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from brm.core.attachments.models import Attachment
from brm.core.attachments.services import attach_file, delete_attachment
from brm.core.errors import ForbiddenAction, InputError
from tests.attachments.conftest import EXE, HTML, PDF, stored, upload

pytestmark = pytest.mark.django_db


def test_it_stores_the_file_under_a_random_name_and_keeps_the_original(complaint, leader, storage):
    attachment = attach_file(
        complaint, upload("Evidence (1).pdf", content_type="text/html"), actor=leader, allowed=True
    )
    assert attachment.filename == "Evidence (1).pdf"
    assert attachment.content_type == "application/pdf"  # sniffed; the client said text/html
    assert attachment.size == len(PDF)
    assert attachment.record == complaint
    assert "Evidence" not in attachment.file.name
    assert [p.read_bytes() for p in stored(storage)] == [PDF]


def test_it_records_who_uploaded_in_the_history(complaint, leader):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    entry = attachment.history.get()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+",
        leader,
        "Uploaded",
    )


@pytest.mark.parametrize(("name", "data"), [("invoice.pdf", EXE), ("logo.png", HTML)])
def test_a_refused_upload_keeps_nothing(complaint, leader, storage, name, data):
    with pytest.raises(InputError):
        attach_file(complaint, upload(name, data), actor=leader, allowed=True)
    assert not Attachment.objects.exists()
    assert not Attachment.history.exists()
    assert stored(storage) == []


def test_an_actor_who_may_not_attach_keeps_nothing(complaint, colleague, storage):
    with pytest.raises(ForbiddenAction):
        attach_file(complaint, upload(), actor=colleague, allowed=False)
    assert not Attachment.objects.exists()
    assert stored(storage) == []


def test_a_failed_save_removes_the_stored_file(complaint, leader, storage, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise IntegrityError("the database refused the row")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with pytest.raises(IntegrityError):
        attach_file(complaint, upload(), actor=leader, allowed=True)
    assert stored(storage) == []


def test_the_uploader_removes_the_row_now_and_the_bytes_on_commit(
    complaint, leader, storage, django_capture_on_commit_callbacks
):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    with django_capture_on_commit_callbacks(execute=True):
        delete_attachment(attachment, actor=leader)
    assert not Attachment.objects.exists()
    assert stored(storage) == []
    removed = Attachment.history.filter(history_type="-").get()
    assert (removed.history_user, removed.history_change_reason) == (leader, "Removed")


def test_an_administrator_removes_anyones_file(complaint, leader, admin_user):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    delete_attachment(attachment, actor=admin_user)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("who", ["brm", "executive", "colleague"])
def test_nobody_else_removes_a_file(request, complaint, leader, storage, who):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    with pytest.raises(ForbiddenAction):
        delete_attachment(attachment, actor=request.getfixturevalue(who))
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored(storage)) == 1
