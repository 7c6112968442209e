"""Adding, removing and handing out attachments; who may do which.

Every entry point (pages, API) goes through these: `attach_file` and `delete_attachment` check
who may act (403 otherwise), judge the content (400 under `file`), keep nothing of a refused
upload, and leave a history row (who, when: django-simple-history, as every audited record).
Which records a user may see and who may attach to them is the business app's rule, handed in
as an `AttachmentTarget` (each app's `files.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.files.storage import Storage
from django.db import models, transaction
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

from brm.core.attachments.content import check_upload
from brm.core.attachments.models import Attachment
from brm.core.audit import set_change_reason
from brm.core.roles import Role, require, role_of, stored_user

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from brm.core.roles import AnyUser


@dataclass(frozen=True)
class AttachmentTarget:
    """How one kind of business record offers files; the business app decides every rule.

    - `namespace`, `name`: its URL names, e.g. "complaints" and "complaint" give
      `complaints:complaint_attachments` (list, upload), `..._attachment` (download) and
      `..._attachment_delete`;
    - `records(user)`: the records the user may see, the very queryset the record's own detail
      page and API use (a record outside it is a 404, and so are its files);
    - `may_attach(user, record)`: who may add files (the app's permission function);
    - `noun`: the record in English words ("complaint"), marked with gettext_noop and translated
      where shown; `back(record)`: the record's page.
    """

    namespace: str
    name: str
    records: Callable[[AnyUser], models.QuerySet[Any]]
    may_attach: Callable[[AnyUser, Any], bool]
    noun: str
    back: Callable[[Any], str]

    def url_name(self, suffix: str) -> str:
        """`suffix` "attachments", "attachment" or "attachment_delete" as a full URL name."""
        return f"{self.namespace}:{self.name}_{suffix}"

    def list_url(self, record: models.Model) -> str:
        return reverse(self.url_name("attachments"), args=[record.pk])

    def download_url(self, record_pk: Any, attachment: Attachment) -> str:
        return reverse(self.url_name("attachment"), args=[record_pk, attachment.pk])

    def delete_url(self, record_pk: Any, attachment: Attachment) -> str:
        return reverse(self.url_name("attachment_delete"), args=[record_pk, attachment.pk])


def record_page(record: Any) -> str:
    """A record's own page (`get_absolute_url`): where most targets' `back` leads."""
    return str(record.get_absolute_url())


def attachment_target(
    *,
    namespace: str,
    name: str,
    noun: str,
    scope: Callable[[AnyUser], models.QuerySet[Any]],
    may_attach: Callable[[AnyUser, Any], bool],
    select_related: tuple[str, ...] = (),
    back: Callable[[Any], str] = record_page,
) -> AttachmentTarget:
    """An `AttachmentTarget` from the app's own rules, the wiring done once here.

    `scope(user)` is the app's queryset of records the user may see (e.g. a model's
    `objects.visible_to`); `select_related` names the relations its `may_attach(user, record)`
    reads, joined into that one query; `back` defaults to the record's own page. Fields as on
    `AttachmentTarget`.
    """
    records = scope
    if select_related:

        def records(user: AnyUser) -> models.QuerySet[Any]:
            return scope(user).select_related(*select_related)

    return AttachmentTarget(
        namespace=namespace,
        name=name,
        records=records,
        may_attach=may_attach,
        noun=noun,
        back=back,
    )


def may_delete_attachment(actor: AnyUser, attachment: Attachment) -> bool:
    """Remove a file: the person who uploaded it, or an administrator. Seeing the record is
    checked before, by the caller (its scope)."""
    if not actor.is_authenticated:
        return False
    if role_of(actor) == Role.ADMIN:
        return True
    return role_of(actor) != Role.NONE and attachment.uploaded_by_id == actor.pk


def attach_file(
    record: models.Model, upload: UploadedFile[bytes], *, actor: AnyUser, allowed: bool
) -> Attachment:
    """Store `upload` as a file of `record` and return the new `Attachment`.

    `allowed` is the app's answer to "may `actor` attach to `record`" (its `may_attach`):
    `ForbiddenAction` (403) when False. `InputError("file", ...)` (400) when the content is
    refused (`content.check_upload`: empty, too large, a type not allowed, a disguised name).
    Either way, and on any later failure, nothing is kept: no row and no stored file.
    """
    require(
        allowed,
        gettext("You may not add files to this %(noun)s.") % {"noun": record._meta.verbose_name},
    )
    user = stored_user(actor)
    checked = check_upload(upload, upload.name or "", upload.size or 0)
    attachment = Attachment(
        record=record,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=user,
    )
    attachment.__dict__["_history_user"] = user  # simple_history's per-instance author
    set_change_reason(attachment, "Uploaded")
    upload.seek(0)
    attachment.file.save("upload", upload, save=False)  # a random name (models.storage_name)
    try:
        with transaction.atomic():
            attachment.save()
    except BaseException:
        attachment.file.storage.delete(str(attachment.file.name))
        raise
    return attachment


def delete_attachment(attachment: Attachment, *, actor: AnyUser) -> None:
    """Remove a file: its row now (the history keeps who removed it and when), the stored
    bytes once the transaction commits. `ForbiddenAction` (403) unless
    `may_delete_attachment`."""
    require(
        may_delete_attachment(actor, attachment),
        gettext("Only the person who added this file, or an administrator, may remove it."),
    )
    storage, name = attachment.file.storage, str(attachment.file.name)
    attachment.__dict__["_history_user"] = stored_user(actor)
    set_change_reason(attachment, "Removed")
    with transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))


def download_response(attachment: Attachment) -> FileResponse:
    """The stored file as a download: `Content-Disposition: attachment` with the original
    (cleaned) name, the sniffed `Content-Type` (UTF-8 for text), `X-Content-Type-Options:
    nosniff` so no browser second-guesses it, and private caching only. The caller has checked
    the record's scope."""
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=0)
    return response


# A stored file's name is `YYYY/MM/<32 hex digits>` (models.storage_name); the sweep touches
# nothing else, even if the storage's folder or bucket prefix is shared with other files.
ORPHAN_AGE = timedelta(hours=1)
_YEAR, _MONTH, _RANDOM = re.compile(r"\d{4}"), re.compile(r"\d{2}"), re.compile(r"[0-9a-f]{32}")


def _month_folders(storage: Storage) -> Iterator[str]:
    """`YYYY/MM` folders of `storage` (none when its folder does not exist yet)."""
    try:
        years, _ = storage.listdir("")
    except FileNotFoundError:
        return
    for year in sorted(filter(_YEAR.fullmatch, years)):
        months, _ = storage.listdir(year)
        for month in sorted(filter(_MONTH.fullmatch, months)):
            yield f"{year}/{month}"


def delete_orphan_files(now: datetime | None = None) -> list[str]:
    """Delete stored files that no `Attachment` row names and that were last modified more
    than `ORPHAN_AGE` (1 hour) before `now` (default: the current time); return their names.

    Such files are left when a transaction around `attach_file` rolled back after the bytes
    were stored, or when the storage's delete after a removal's commit failed. Younger files
    are kept: their upload's row may not be committed yet. Works on any storage through the
    storage API (`listdir`, `get_modified_time`, `delete`): the filesystem or S3. One query
    per month folder. Safe to run twice: a second run finds nothing more to delete.
    """
    storage = Attachment._meta.get_field("file").storage
    cutoff = (now or timezone.now()) - ORPHAN_AGE
    deleted: list[str] = []
    for folder in _month_folders(storage):
        _, files = storage.listdir(folder)
        names = [f"{folder}/{file}" for file in sorted(filter(_RANDOM.fullmatch, files))]
        known = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
        for name in names:
            if name not in known and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                deleted.append(name)
    return deleted
