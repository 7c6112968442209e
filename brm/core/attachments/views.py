"""The pages of attachments, for any record an `AttachmentTarget` describes.

Three plain function views; each business app wires them under its own record's URLs with
`attachment_urls` and passes its target, so the record is looked up in the app's own scope
(`target.records(user)`: 404 for a record, and so for its files, the user may not see) and the
app's rule says who may attach. The list region works without JavaScript (its own page, errors
next to the field, status 400) and with htmx (the region swaps in place; the form's error shows
in it).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from brm.core.attachments.content import FIELD, accept_attribute, accepted_summary
from brm.core.attachments.models import Attachment
from brm.core.attachments.services import (
    AttachmentTarget,
    attach_file,
    delete_attachment,
    download_response,
    may_delete_attachment,
)
from brm.core.errors import ForbiddenAction, InputError
from brm.core.htmx import HtmxHttpRequest, safe_next
from brm.core.roles import Role, role_of

PANEL = "includes/attachments.html"
PAGE = "attachments/attachment_list.html"


class AttachmentForm(forms.Form):
    """One file; its content is judged by the service (`content.check_upload`)."""

    file = forms.FileField(label=gettext_lazy("Add a file"), allow_empty_file=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields[FIELD]
        field.help_text = accepted_summary()
        field.widget.attrs.update({"class": "form-control", "accept": accept_attribute()})


def attachment_panel(
    request: HttpRequest,
    target: AttachmentTarget,
    record: models.Model,
    *,
    form: AttachmentForm | None = None,
    flash: str = "",
) -> dict[str, Any]:
    """What `includes/attachments.html` shows: the record's files (one query) with their links
    and whether this user may remove each, and the upload form if they may attach."""
    user = request.user
    files = list(Attachment.objects.of(record))
    for item in files:
        item.__dict__["download_url"] = target.download_url(record.pk, item)
        item.__dict__["delete_url"] = target.delete_url(record.pk, item)
        item.__dict__["may_delete"] = may_delete_attachment(user, item)
    can_attach = target.may_attach(user, record)
    return {
        "record": record,
        "noun": gettext(target.noun),
        "files": files,
        "can_attach": can_attach,
        "form": (form or AttachmentForm()) if can_attach else None,
        "upload_url": target.list_url(record),
        "back_url": target.back(record),
        "flash": flash,
    }


def _record(request: HtmxHttpRequest, target: AttachmentTarget, pk: int) -> models.Model:
    if role_of(request.user) == Role.NONE:
        raise PermissionDenied(gettext("Your account has no role yet; ask an administrator."))
    record: models.Model = get_object_or_404(target.records(request.user), pk=pk)
    return record


def _answer(
    request: HtmxHttpRequest,
    target: AttachmentTarget,
    record: models.Model,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {"files": attachment_panel(request, target, record, **extra)}
    if request.htmx and not request.htmx.boosted:
        # htmx swaps only 2xx answers: a refused file comes back as the region with its error.
        response = render(request, PANEL, context)
        return trigger_client_event(response, "attachmentsChanged") if status == 200 else response
    return render(request, PAGE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def attachment_list(
    request: HtmxHttpRequest, pk: int, *, target: AttachmentTarget
) -> HttpResponseBase:
    """GET: the record's files (and the upload form). POST: add one file (multipart `file`)."""
    record = _record(request, target, pk)
    if request.method == "GET":
        return _answer(request, target, record)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attach_file(
                record,
                form.cleaned_data[FIELD],
                actor=request.user,
                allowed=target.may_attach(request.user, record),
            )
        except ForbiddenAction as exc:
            raise PermissionDenied(str(exc)) from exc
        except InputError as exc:
            form.add_error(FIELD, exc.message)
        else:
            message = gettext("“%(name)s” added.") % {"name": attachment.filename}
            if request.htmx:
                return _answer(request, target, record, flash=message)
            messages.success(request, message)
            return redirect(safe_next(request, target.list_url(record)))
    elif not target.may_attach(request.user, record):
        raise PermissionDenied(
            gettext("You may not add files to this %(noun)s.") % {"noun": gettext(target.noun)}
        )
    return _answer(request, target, record, form=form, status=400)


def _attachment(
    request: HtmxHttpRequest, target: AttachmentTarget, pk: int, attachment_pk: int
) -> tuple[models.Model, Attachment]:
    """The record in the user's scope, then one of its files (404 for either unseen)."""
    record = _record(request, target, pk)
    attachment: Attachment = get_object_or_404(Attachment.objects.of(record), pk=attachment_pk)
    return record, attachment


@login_required
@require_http_methods(["GET", "HEAD"])
def attachment_download(
    request: HtmxHttpRequest, pk: int, attachment_pk: int, *, target: AttachmentTarget
) -> HttpResponseBase:
    """The file itself, to whoever may see its record (`services.download_response`)."""
    _, attachment = _attachment(request, target, pk, attachment_pk)
    return download_response(attachment)


@login_required
@require_POST
def attachment_delete(
    request: HtmxHttpRequest, pk: int, attachment_pk: int, *, target: AttachmentTarget
) -> HttpResponseBase:
    """Remove a file: its uploader or an administrator (403 for anyone else)."""
    record, attachment = _attachment(request, target, pk, attachment_pk)
    try:
        delete_attachment(attachment, actor=request.user)
    except ForbiddenAction as exc:
        raise PermissionDenied(str(exc)) from exc
    message = gettext("“%(name)s” removed.") % {"name": attachment.filename}
    if request.htmx:
        return _answer(request, target, record, flash=message)
    messages.success(request, message)
    return redirect(safe_next(request, target.list_url(record)))


def attachment_urls(route: str, target: AttachmentTarget) -> list[URLPattern]:
    """The three pages of a record's files under `route` (which takes the record's `<int:pk>`,
    e.g. "complaints/<int:pk>/files/"), named after `target`."""
    kwargs = {"target": target}
    name = target.name
    return [
        path(route, attachment_list, kwargs, name=f"{name}_attachments"),
        path(
            f"{route}<int:attachment_pk>/", attachment_download, kwargs, name=f"{name}_attachment"
        ),
        path(
            f"{route}<int:attachment_pk>/delete/",
            attachment_delete,
            kwargs,
            name=f"{name}_attachment_delete",
        ),
    ]
