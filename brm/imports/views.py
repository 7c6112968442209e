"""Bulk import pages: upload, the job's page (progress polled by htmx, then the dry run's
counts and row errors, and a confirm button), for those `may_import` allows (others 403).

Both pages describe the columns each kind reads (`Kind.guide`): the header names stay English,
the files' contract (an export imports again unchanged), shown as code beside a description in
the reader's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from brm.core.errors import StateConflict
from brm.core.forms import StyledFormMixin
from brm.imports import jobs
from brm.imports.api import MAX_IMPORT_BYTES
from brm.imports.models import ImportJob, JobStatus
from brm.imports.permissions import may_import
from brm.imports.register import KINDS, Kind


class UploadForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[(name, kind.label) for name, kind in KINDS.items()],
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or Windows-1252, ; or ,) or XLSX; header row first."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(MAX_IMPORT_BYTES)s bytes.")
                % {"MAX_IMPORT_BYTES": MAX_IMPORT_BYTES}
            )
        return upload


def _require_importer(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied(gettext("Only administrators and integrations import records."))


@login_required
def upload(request: HttpRequest) -> HttpResponseBase:
    """GET: the form; POST: start a dry run and go to its page."""
    _require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        assert form.cleaned_data["kind"] in KINDS
        job = jobs.start_import(
            user=request.user,  # type: ignore[arg-type]  # login_required
            kind=form.cleaned_data["kind"],
            data=form.cleaned_data["file"].read(),
            filename=form.cleaned_data["file"].name or "",
            dry_run=True,
        )
        return redirect("imports:job", pk=job.pk)
    guides = [{"label": kind.label, "columns": kind.guide()} for kind in KINDS.values()]
    return render(request, "imports/upload.html", {"form": form, "guides": guides})


def _shown_errors(kind: Kind | None, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stored row errors with the header name of their column (what the file calls it;
    the API keeps the canonical name), as [{"row", "header", "message"}]."""
    errors = (result or {}).get("errors") or []
    return [
        {
            "row": e["row"],
            "header": kind.header(e["column"]) if kind else e["column"],
            "message": e["message"],
        }
        for e in errors
    ]


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The job; with htmx (polling every second while it runs) only its status region."""
    _require_importer(request)
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk)
    kind = KINDS.get(job.kind)
    context = {
        "job": job,
        "kind_noun": kind.noun if kind else job.kind,
        "columns": kind.guide() if kind else [],
        "errors": _shown_errors(kind, job.result),
        "progress": jobs.progress(job),
        "running": job.status in {JobStatus.QUEUED, JobStatus.RUNNING},
    }
    if getattr(request, "htmx", False):
        return render(request, "imports/_status.html", context)
    return render(request, "imports/job.html", context)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Run the previewed file for real and go to the new job's page (409 if not confirmable)."""
    _require_importer(request)
    preview = get_object_or_404(ImportJob, pk=pk)
    try:
        with transaction.atomic():
            job = jobs.confirm_import(preview, user=request.user)  # type: ignore[arg-type]
    except StateConflict as exc:
        return HttpResponse(str(exc), status=409)
    return redirect("imports:job", pk=job.pk)
