"""People's data pages (administrators only; others 403): a person's export as a readable page
or a JSON download, and their erasure (POST, from the page's confirmed form or the admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from brm.privacy import services
from brm.privacy.permissions import may_handle_personal_data

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# The kind of person in the page's title, in the reader's language (the keys are URL codes).
LABELS: dict[str, StrOrPromise] = {
    "stakeholder": gettext_lazy("Stakeholder"),
    "user": gettext_lazy("User"),
}


def _check(request: HttpRequest, subject_type: str) -> None:
    if subject_type not in services.SUBJECT_TYPES:
        raise Http404
    if not may_handle_personal_data(request.user):
        raise PermissionDenied(gettext("Only administrators export or erase people's data."))


def _table(rows: Any) -> dict[str, Any]:
    """A section as a table: column names and rows of cells (a list of plain values is one
    column)."""
    if rows and all(isinstance(r, dict) for r in rows):
        columns = list(rows[0])
        return {"columns": columns, "rows": [[r.get(c) for c in columns] for r in rows]}
    return {"columns": ["value"], "rows": [[r] for r in rows or []]}


@login_required
@require_GET
def person_export(request: HttpRequest, subject_type: str, pk: int) -> HttpResponse:
    """The export as a page, or with `?format=json` as a download (same content as the API)."""
    _check(request, subject_type)
    try:
        data = services.export_person(subject_type, pk, actor=request.user)
    except services.NotFound as exc:
        raise Http404(str(exc)) from exc
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{subject_type}-{pk}-data.json"'
        return response
    parts = [
        (name, [(section, _table(rows)) for section, rows in sections.items()])
        for name, sections in data["parts"].items()
    ]
    context = {"data": data, "parts": parts, "label": LABELS[subject_type], "pk": pk}
    return render(request, "privacy/person_export.html", context)


@login_required
@require_POST
def person_erase(request: HttpRequest, subject_type: str, pk: int) -> HttpResponse:
    """Erase the person (the page's form asks to type ERASE first), then show their export."""
    _check(request, subject_type)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, gettext("Type ERASE to confirm; nothing was erased."))
        return redirect(f"privacy:{subject_type}_export", pk=pk)
    try:
        result = services.erase_person(subject_type, pk, actor=request.user)
    except services.NotFound as exc:
        raise Http404(str(exc)) from exc
    changed = sum(sum(section.values()) for section in result["counts"].values())
    messages.success(
        request, gettext("Erased: %(changed)s rows changed or removed.") % {"changed": changed}
    )
    return redirect(f"privacy:{subject_type}_export", pk=pk)
