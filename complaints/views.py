"""Pages for complaints and feedback.

Every view scopes its queryset with `visible_to` (404 for what the user may not see); whether an
actor may file, move, comment on or rate a complaint is decided by `complaints.permissions` and
`complaints.workflow`, which the services enforce (403 for a role, 409 for a state). Views and
templates ask the same functions only to decide what to offer.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from brm.core.attachments.views import attachment_panel
from brm.core.audit import history_entries
from brm.core.errors import RULE_ERRORS, http_status
from brm.core.htmx import (
    HtmxHttpRequest,
    csv_response,
    filtered,
    paginate,
    querystring_without,
    render_page,
)
from brm.core.roles import Role, is_it_side, role_of
from complaints import follow_up, permissions, selectors, services, workflow
from complaints.files import COMPLAINT_FILES
from complaints.filters import ComplaintFilterSet, FeedbackFilterSet
from complaints.forms import (
    NEW_COMMITMENT,
    OUTSIDE_WORK,
    AssignForm,
    CommentForm,
    ComplaintForm,
    FeedbackForm,
    FollowUpDoneForm,
    FollowUpForm,
    RatingForm,
    TransitionForm,
)
from complaints.models import OPEN_STATUSES, Complaint, FeedbackKind

# --- The list: "your complaints" for leaders, the work queue for IT ---------------------------


def _complaint_filter(request: HtmxHttpRequest) -> ComplaintFilterSet:
    data = request.GET.copy()
    if is_it_side(request.user) and "status" not in data and not data.get("search"):
        data.setlist("status", list(OPEN_STATUSES))  # the queue shows work still to do
    return ComplaintFilterSet(
        data, queryset=selectors.complaint_list(request.user), request=request
    )


def _ordered(request: HtmxHttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
    # `qs` rows carry `due_at` (annotated by the list selector), which the checker cannot see.
    # Nearest deadline first; closed ones (no deadline) last, newest first among them.
    if request.GET.get("ordering"):
        return qs
    return qs.order_by("due_at", "-created_at", "-pk")


@login_required
def complaint_list(request: HtmxHttpRequest) -> HttpResponse:
    if role_of(request.user) in {Role.NONE, Role.INTEGRATION}:
        raise PermissionDenied
    filterset = _complaint_filter(request)
    qs = filtered(filterset)
    # The COUNT counts the filtered ids: the rows' joins and their deadline (`due_at`) stay
    # out of it.
    page = paginate(request, _ordered(request, qs), counted=qs.values("pk"))
    return render_page(
        request,
        "complaints/complaint_list.html",
        {
            "filter": filterset,
            "page": page,
            "qs": querystring_without(request, "page"),
            "can_file": permissions.may_file(request.user),
            "selected_status": cast(QueryDict, filterset.data).getlist("status"),
            "selected_severity": cast(QueryDict, filterset.data).getlist("severity"),
        },
    )


@login_required
def complaint_queue(request: HtmxHttpRequest) -> HttpResponse:
    """My queue: the open complaints I handle, nearest deadline first, with the list's filters
    (the same FilterSet; status is always "open" here). People in IT only (`may_keep_queue`)."""
    if not permissions.may_keep_queue(request.user):
        raise PermissionDenied(
            gettext("The complaint queue is for people in IT who handle complaints.")
        )
    filterset = ComplaintFilterSet(
        request.GET, queryset=selectors.complaint_queue(request.user), request=request
    )
    qs = filtered(filterset)
    page = paginate(request, _ordered(request, qs), counted=qs.values("pk"))  # as the list
    return render_page(
        request,
        "complaints/complaint_queue.html",
        {
            "filter": filterset,
            "page": page,
            "qs": querystring_without(request, "page"),
            "selected_severity": cast(QueryDict, filterset.data).getlist("severity"),
        },
    )


@login_required
def complaint_export(request: HtmxHttpRequest) -> HttpResponseBase:
    if not is_it_side(request.user):
        raise PermissionDenied
    filterset = _complaint_filter(request)
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            c.reference,
            c.unit.name,
            c.service.name if c.service else "",
            c.title,
            c.get_severity_display(),
            c.get_status_display(),
            c.escalation_level,
            c.created_at.isoformat(),
            c.acknowledge_by.isoformat(),
            c.acknowledged_at.isoformat() if c.acknowledged_at else "",
            c.resolve_by.isoformat(),
            c.resolved_at.isoformat() if c.resolved_at else "",
            "yes" if c.is_overdue else "no",
            c.resolution_rating or "",
        )
        for c in _ordered(request, filterset.qs).iterator(chunk_size=500)
    )
    header = [
        "Reference",
        "Business unit",
        "Service",
        "Title",
        "Severity",
        "Status",
        "Escalation level",
        "Filed",
        "Acknowledge by",
        "Acknowledged",
        "Resolve by",
        "Resolved",
        "Overdue",
        "Rating",
    ]
    return csv_response("complaints.csv", header, rows)


# --- Filing -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def complaint_create(request: HtmxHttpRequest) -> HttpResponse:
    if not permissions.may_file(request.user):
        raise PermissionDenied(gettext("Your role does not file complaints."))
    form = ComplaintForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.file_complaint(
                services.ComplaintInput(
                    unit=form.chosen_unit(),
                    title=data["title"],
                    description=data["description"],
                    severity=data["severity"],
                    service=data.get("service"),
                    remedy_requested=data.get("remedy_requested", ""),
                ),
                actor=request.user,
            )
        except workflow.InputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except services.ForbiddenAction as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                gettext(
                    "Thank you. Your complaint is recorded as %(reference)s; "
                    "we have emailed you an acknowledgement."
                )
                % {"reference": complaint.reference},
            )
            return redirect(complaint)
    return render(request, "complaints/complaint_form.html", {"form": form})


# --- One complaint ----------------------------------------------------------------------------


def _visible_complaint(request: HtmxHttpRequest, pk: int) -> Complaint:
    return get_object_or_404(selectors.complaint_list(request.user), pk=pk)


def _detail_context(request: HtmxHttpRequest, complaint: Complaint, **extra: Any) -> dict[str, Any]:
    user = request.user
    handles = permissions.may_handle(user, complaint)
    can_assign = permissions.may_assign(user, complaint) and complaint.is_open
    context = {
        "complaint": complaint,
        "events": list(selectors.complaint_events(complaint)),
        "transitions": workflow.allowed_transitions(complaint, user),
        "can_comment": workflow.can_comment(complaint, user),
        "can_rate": workflow.can_rate(complaint, user),
        "is_handler": handles,
        "reopen_until": complaint.reopen_until(),
        "comment_form": CommentForm(),
        "rating_form": RatingForm(),
        "follow_up_form": (
            FollowUpForm(complaint=complaint, user=user)
            if permissions.may_follow_up(user, complaint)
            else None
        ),
        "follow_up_done_form": FollowUpDoneForm(),
        "assign_form": AssignForm(complaint=complaint) if can_assign else None,
        "history": history_entries(complaint, limit=10) if is_it_side(user) else [],
    }
    context["files"] = attachment_panel(request, COMPLAINT_FILES, complaint)
    work = follow_up.visible_work(complaint, user)
    if work is not None:
        context["follow_up_work"] = work
        context["follow_up_url"] = follow_up.work_url(work)
        context["follow_up_finished"] = follow_up.is_finished(work)
    context.update(extra)
    return context


def _render_detail(
    request: HtmxHttpRequest, complaint: Complaint, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _detail_context(request, complaint, **extra)
    if request.htmx:
        return render(request, "complaints/complaint_detail.html#work", context, status=status)
    return render(request, "complaints/complaint_detail.html", context, status=status)


@login_required
def complaint_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    complaint = _visible_complaint(request, pk)
    return render(request, "complaints/complaint_detail.html", _detail_context(request, complaint))


def _after_action(request: HtmxHttpRequest, complaint: Complaint, message: str) -> HttpResponse:
    complaint = _visible_complaint(request, complaint.pk)
    if request.htmx:
        response = _render_detail(request, complaint, flash=message)
        return trigger_client_event(response, "complaintChanged")
    messages.success(request, message)
    return redirect(complaint)


def _refused(
    request: HtmxHttpRequest, complaint: Complaint, error: str, status: int
) -> HttpResponse:
    complaint = _visible_complaint(request, complaint.pk)
    if request.htmx:
        return _render_detail(request, complaint, status=status, error=error)
    messages.error(request, error)
    return redirect(complaint)


@login_required
@require_POST
def complaint_transition(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Move the complaint (htmx: the work panel re-renders in place)."""
    complaint = _visible_complaint(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _refused(request, complaint, gettext("Add a comment saying why."), 400)
    try:
        workflow.transition_complaint(
            complaint,
            form.cleaned_data["to"],
            actor=request.user,
            comment=form.cleaned_data["comment"],
        )
    except RULE_ERRORS as exc:
        return _refused(request, complaint, str(exc), http_status(exc))
    complaint.refresh_from_db()
    return _after_action(
        request,
        complaint,
        gettext("Complaint is now %(status)s.") % {"status": complaint.get_status_display()},
    )


@login_required
@require_POST
def complaint_assign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Assign or reassign the complaint's handler (htmx: the work panel re-renders in place).
    Who may is `permissions.may_assign`, checked by the service (403)."""
    complaint = _visible_complaint(request, pk)
    if not permissions.may_assign(request.user, complaint):
        raise PermissionDenied(gettext("Your role may not assign this complaint."))
    form = AssignForm(request.POST, complaint=complaint)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _refused(request, complaint, " ".join(errors), 400)
    data = form.cleaned_data
    try:
        services.assign_complaint(
            complaint,
            data["handler"],
            actor=request.user,
            reason=data["reason"],
            expected_version=data.get("version"),
        )
    except RULE_ERRORS as exc:
        return _refused(request, complaint, str(exc), http_status(exc))
    handler = data["handler"]
    name = handler.get_full_name() or handler.get_username()
    return _after_action(request, complaint, gettext("%(name)s handles it now.") % {"name": name})


@login_required
@require_POST
def complaint_comment(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    complaint = _visible_complaint(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, complaint, gettext("Write a comment first (up to 5000 characters)."), 400
        )
    try:
        services.add_comment(complaint, actor=request.user, comment=form.cleaned_data["comment"])
    except RULE_ERRORS as exc:
        return _refused(request, complaint, str(exc), http_status(exc))
    return _after_action(request, complaint, gettext("Comment added."))


@login_required
@require_POST
def complaint_rate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    complaint = _visible_complaint(request, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _refused(request, complaint, gettext("Choose a rating from 1 to 5."), 400)
    try:
        services.rate_resolution(
            complaint,
            form.cleaned_data["rating"],
            actor=request.user,
            comment=form.cleaned_data["comment"],
        )
    except RULE_ERRORS as exc:
        return _refused(request, complaint, str(exc), http_status(exc))
    return _after_action(request, complaint, gettext("Thank you for rating the resolution."))


@login_required
@require_POST
def complaint_follow_up(request: HtmxHttpRequest, pk: int, operation: str) -> HttpResponse:
    """Link the work the fix needs, or record that it is done (the complainant is told)."""
    complaint = _visible_complaint(request, pk)
    try:
        if operation == "link":
            form = FollowUpForm(request.POST, complaint=complaint, user=request.user)
            if not form.is_valid():
                errors = [e for field_errors in form.errors.values() for e in field_errors]
                return _refused(request, complaint, " ".join(str(e) for e in errors), 400)
            data = form.cleaned_data
            if data["choice"] == NEW_COMMITMENT:
                services.create_follow_up_commitment(
                    complaint, actor=request.user, title=data["title"], due_date=data["due_date"]
                )
            else:
                services.link_follow_up(
                    complaint,
                    actor=request.user,
                    work=data["record"],
                    kind=data["kind"],
                    reference=data["reference"],
                )
            message = (
                gettext("Follow-up work linked.")
                if data["choice"] == OUTSIDE_WORK
                else gettext("Follow-up work linked; the complainant is told when it is finished.")
            )
        elif operation == "done":
            done = FollowUpDoneForm(request.POST)
            if not done.is_valid():
                return _refused(request, complaint, gettext("Describe the outcome."), 400)
            services.complete_follow_up(
                complaint, actor=request.user, outcome=done.cleaned_data["outcome"]
            )
            message = gettext("Outcome recorded; the complainant has been told.")
        else:
            raise Http404
    except RULE_ERRORS as exc:
        return _refused(request, complaint, str(exc), http_status(exc))
    return _after_action(request, complaint, message)


# --- Reports ----------------------------------------------------------------------------------


@login_required
def complaint_reports(request: HtmxHttpRequest) -> HttpResponse:
    if role_of(request.user) not in {Role.BRM, Role.EXECUTIVE, Role.ADMIN}:
        raise PermissionDenied(
            gettext("Complaint reports are for relationship managers and the CIO.")
        )
    filterset = ComplaintFilterSet(
        request.GET, queryset=selectors.complaint_list(request.user), request=request
    )
    qs = filtered(filterset)
    report = selectors.complaint_report(qs)
    return render(
        request,
        "complaints/complaint_reports.html",
        {"report": report, "chart": report.chart_data(), "filter": filterset},
    )


# --- Feedback ---------------------------------------------------------------------------------


@login_required
def recognition_feed(request: HtmxHttpRequest) -> HttpResponse:
    """Compliments (everyone) and, for IT, suggestions: share the credit, celebrate progress."""
    if role_of(request.user) == Role.NONE:
        raise PermissionDenied
    data = request.GET.copy()
    if "kind" not in data:
        data["kind"] = FeedbackKind.COMPLIMENT
    filterset = FeedbackFilterSet(
        data, queryset=selectors.feedback_list(request.user), request=request
    )
    qs = filtered(filterset)
    page = paginate(request, qs.order_by("-created_at", "-pk"))
    return render_page(
        request,
        "complaints/feedback_list.html",
        {"filter": filterset, "page": page, "qs": querystring_without(request, "page")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def feedback_create(request: HtmxHttpRequest) -> HttpResponse:
    if not permissions.may_leave_feedback(request.user):
        raise PermissionDenied
    form = FeedbackForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.leave_feedback(
                actor=request.user,
                kind=data["kind"],
                message=data["message"],
                about_person=data.get("about_person"),
                about_team=data.get("about_team", ""),
                # A leader's form has no unit field: the service files it under their own unit.
                unit=data.get("unit"),
            )
        except workflow.InputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                gettext("Thank you! Your compliment is on the recognition feed.")
                if data["kind"] == FeedbackKind.COMPLIMENT
                else gettext("Thank you for the suggestion; IT will look at it."),
            )
            return redirect("complaints:feedback_list")
    return render(request, "complaints/feedback_form.html", {"form": form})
