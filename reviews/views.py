"""Pages of service reviews: the list with the unit schedule, the month view, and the review page.

Every view scopes its queryset with `visible_to` (404 for what the user may not see) and asks
`reviews.permissions` (the rule the services enforce) what to offer: 403 for read-only access.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from brm.core.attachments.views import attachment_panel
from brm.core.audit import history_entries
from brm.core.errors import InputError, http_status
from brm.core.htmx import (
    HtmxHttpRequest,
    csv_response,
    filtered,
    paginate,
    querystring_without,
    render_page,
)
from brm.core.roles import Role, is_it_side, role_of
from brm.core.templatetags.brm import person
from portfolio.selectors.catalogue import visible_service_ids
from reviews import permissions, selectors, services
from reviews.files import REVIEW_FILES
from reviews.filters import ServiceReviewFilterSet
from reviews.forms import ChangeRequestForm, DecisionForm, MinutesForm, ReviewForm
from reviews.ics import review_ics, review_recipients
from reviews.models import ChangeRequest, ReviewSettings, ReviewStatus, ServiceReview
from stakeholders.forms import CommitmentForm
from stakeholders.models import BusinessUnit, managed_by


def _or_403(allowed: bool) -> None:
    # The page decides what to offer with the same `permissions.may_*` the service enforces.
    if not allowed:
        raise PermissionDenied(gettext("You may read this record but not change it."))


def _review_or_404(request: HttpRequest, pk: int) -> ServiceReview:
    return get_object_or_404(
        ServiceReview.objects.visible_to(request.user).select_related(
            "unit", "unit__brm", "unit__deputy", "planned_by"
        ),
        pk=pk,
    )


# --- Lists ------------------------------------------------------------------------------------


def _review_filter(request: HttpRequest, grace_days: int) -> ServiceReviewFilterSet:
    data = request.GET.copy()
    data.setdefault("view", "upcoming")
    if role_of(request.user) == Role.BRM and "mine" not in data and not data.get("unit"):
        data["mine"] = "true"  # a BRM's default view: their own units
    # The list's counts come after the filters (`_filtered_reviews`): none of them reads those.
    queryset = selectors.review_page_rows(request.user).with_overdue(grace_days=grace_days)
    return ServiceReviewFilterSet(data, queryset=queryset, request=request)


def _filtered_reviews(
    request: HttpRequest, filterset: ServiceReviewFilterSet
) -> QuerySet[Any]:  # rows annotated by with_overdue, without the list's counts
    qs = filtered(filterset)
    if not request.GET.get("ordering") and filterset.form.cleaned_data.get("view") == "all":
        qs = qs.order_by("-scheduled_at", "-pk")
    return qs


@login_required
def review_list(request: HtmxHttpRequest) -> HttpResponse:
    conf = ReviewSettings.get()
    filterset = _review_filter(request, conf.overdue_grace_days)
    reviews = _filtered_reviews(request, filterset)
    page = paginate(request, selectors.with_list_counts(reviews), counted=reviews)
    context = {
        "filter": filterset,
        "page": page,
        "qs": querystring_without(request, "page"),
        "view": filterset.form.data.get("view"),
        "grace_days": conf.overdue_grace_days,
        "now": timezone.now(),
    }
    if not (request.htmx and not request.htmx.boosted):
        context["overdue_count"] = selectors.overdue_count(request.user, conf.overdue_grace_days)
        if is_it_side(request.user):  # the schedule is IT's: a leader's page shows none
            schedule = selectors.unit_schedule(request.user)
            if role_of(request.user) == Role.BRM:
                # Their own units: the rows name no relationship manager, so none is joined.
                schedule = schedule.filter(managed_by(request.user))
                schedule = schedule.select_related(None)
            context["schedule"] = units = list(schedule[:50])
            # Which rows offer "Plan review": the unit's own rule (`is_editable_by`, what
            # `BusinessUnit.objects.editable_by` filters by) on the rows, not another query.
            context["editable_units"] = {u.pk for u in units if u.is_editable_by(request.user)}
    return render_page(request, "reviews/review_list.html", context)


@login_required
def review_export(request: HttpRequest) -> HttpResponseBase:
    """The list as CSV: the same filters and scope as the page, every matching row."""
    conf = ReviewSettings.get()
    filterset = _review_filter(request, conf.overdue_grace_days)
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            r.pk,
            timezone.localtime(r.scheduled_at).isoformat(),
            r.unit.name,
            person(r.unit.brm, ""),
            r.get_status_display(),
            "yes" if r.overdue_now else "no",
            "; ".join(s.name for s in r.services.all()),
            r.open_changes,
            r.commitment_count,
            r.location,
            r.outcome,
            settings.SITE_URL + r.get_absolute_url(),
        )
        # Chunks keep memory flat; each chunk prefetches its services (one query per chunk).
        for r in selectors.with_list_counts(_filtered_reviews(request, filterset)).iterator(
            chunk_size=500
        )
    )
    header = [
        "Id",
        "When",
        "Business unit",
        "Relationship manager",
        "Status",
        "Overdue",
        "Services",
        "Open changes",
        "Commitments",
        "Location",
        "Outcome",
        "Link",
    ]
    return csv_response("service-reviews.csv", header, rows)


@login_required
def review_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    prev_month = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    next_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    reviews = ServiceReview.objects.visible_to(request.user).select_related("unit")
    return render_page(
        request,
        "reviews/review_calendar.html",
        {
            "weeks": selectors.month_grid(reviews, first.year, first.month),
            "first": first,
            "prev_month": prev_month,
            "next_month": next_month,
        },
        partial="month",
    )


# --- Planning ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    unit_id = request.GET.get("unit", "")
    if not unit_id.isdigit():
        # Reviews are planned from a unit; without one, send the user to pick it.
        messages.info(request, _("Pick the business unit to plan a review for."))
        return redirect(reverse("reviews:review_list") + "#unit-schedule")
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=int(unit_id))
    _or_403(permissions.may_plan_review(request.user, unit))
    if request.method == "POST":
        form = ReviewForm(request.POST, unit=unit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.plan_review(
                    unit,
                    actor=request.user,
                    scheduled_at=data["scheduled_at"],
                    services=list(data["services"]) or None,
                    attendees=data["attendees"],
                    it_attendees=data["it_attendees"],
                    duration_minutes=data["duration_minutes"],
                    location=data["location"],
                    agenda=data["agenda"],
                    period_start=data.get("period_start"),
                    period_end=data.get("period_end"),
                )
            except (ValidationError, InputError) as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Review planned; invitations go out before it."))
                return redirect(review)
    else:
        schedule = selectors.unit_schedule(request.user).filter(pk=unit.pk).first()
        due = schedule.next_due_at if schedule else None
        initial: dict[str, Any] = {"attendees": list(selectors.default_attendees(unit))}
        if due and due > timezone.now():
            initial["scheduled_at"] = timezone.localtime(due).replace(
                hour=10, minute=0, second=0, microsecond=0
            )
        form = ReviewForm(unit=unit, initial=initial)
    return render(request, "reviews/review_form.html", {"form": form, "unit": unit})


def _add_errors(form: BaseForm, exc: ValidationError | InputError) -> None:
    if isinstance(exc, InputError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- The review page --------------------------------------------------------------------------


def _detail_context(request: HttpRequest, review: ServiceReview) -> dict[str, Any]:
    can_edit = permissions.may_change_review(request.user, review)
    # Figures and names only of services the viewer may see (a leader: their unit's).
    visible = visible_service_ids(request.user)
    covered = [s for s in review.services.all() if visible is None or s.pk in visible]
    context = {
        "review": review,
        "can_edit": can_edit,
        "pack": selectors.review_pack(review, covered, visible=visible),
        "services_covered": covered,
        "attendees": list(review.attendees.all()),
        "it_attendees": list(review.it_attendees.all()),
        "history": history_entries(review, limit=10) if is_it_side(request.user) else [],
        "is_overdue": review.is_overdue(grace_days=ReviewSettings.get().overdue_grace_days),
        "files": attachment_panel(request, REVIEW_FILES, review),
        **selectors.review_detail_context(review),
    }
    if can_edit and review.status != ReviewStatus.CANCELLED:
        context["minutes_form"] = MinutesForm(instance=review)
        context["change_form"] = ChangeRequestForm(review=review)
        context["commitment_form"] = CommitmentForm(unit=review.unit, prefix="c")
        context["decision_form"] = DecisionForm()
    return context


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    return render(request, "reviews/review_detail.html", _detail_context(request, review))


@login_required
@require_http_methods(["GET", "POST"])
def review_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _or_403(permissions.may_change_review(request.user, review))
    if review.status != ReviewStatus.PLANNED:
        if request.htmx:
            return HttpResponse("Only a planned review can be rescheduled.", status=409)
        messages.error(request, _("Only a planned review can be rescheduled."))
        return redirect(review)
    form = ReviewForm(request.POST or None, instance=review, unit=review.unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("scheduled_at", "duration_minutes", "location", "agenda")}
        for k in ("period_start", "period_end"):
            if data.get(k):
                fields[k] = data[k]
        try:
            services.update_review(
                review,
                actor=request.user,
                fields=fields,
                services=list(data["services"]),
                attendees=data["attendees"],
                it_attendees=data["it_attendees"],
            )
        except (ValidationError, InputError) as exc:
            _add_errors(form, exc)
        except services.StateConflict as exc:
            messages.error(request, str(exc))
            return redirect(review)
        else:
            messages.success(request, _("Review updated."))
            if request.htmx:
                return HttpResponseClientRedirect(review.get_absolute_url())
            return redirect(review)
    return render(
        request, "reviews/review_form.html", {"form": form, "unit": review.unit, "review": review}
    )


@login_required
@require_POST
def review_minutes(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Save minutes and outcome (planned or held). With htmx the section re-renders in place."""
    review = _review_or_404(request, pk)
    _or_403(permissions.may_change_review(request.user, review))
    form = MinutesForm(request.POST, instance=review)
    saved = False
    if form.is_valid():
        try:
            review = services.update_review(review, actor=request.user, fields=form.cleaned_data)
            saved = True
        except services.StateConflict as exc:
            form.add_error(None, str(exc))
    return _minutes_answer(request, review, form, saved=saved)


def _minutes_answer(
    request: HtmxHttpRequest, review: ServiceReview, form: MinutesForm, *, saved: bool
) -> HttpResponse:
    """The review page after a minutes post: its minutes section alone for htmx."""
    if not request.htmx:
        if saved:
            messages.success(request, _("Minutes saved."))
            return redirect(review)
        context = _detail_context(request, review)
        context["minutes_form"] = form
        return render(request, "reviews/review_detail.html", context, status=400)
    return render(
        request,
        "reviews/review_detail.html#minutes",
        {"review": review, "minutes_form": form, "can_edit": True, "saved": saved},
        status=200 if saved else 400,
    )


@login_required
@require_POST
def review_transition(request: HtmxHttpRequest, pk: int, operation: str) -> HttpResponse:
    """Mark held (freezes the pack and plans the next review) or cancel."""
    review = _review_or_404(request, pk)
    _or_403(permissions.may_change_review(request.user, review))
    try:
        if operation == "hold":
            form = MinutesForm(request.POST, instance=review)
            kwargs = {}
            if form.is_valid() and request.POST.get("minutes") is not None:
                kwargs = dict(form.cleaned_data)
            elif form.stale_changes is not None:
                # Minutes typed on a page opened before someone else saved them: hold nothing
                # and show what is saved now, rather than holding without the user's minutes.
                return _minutes_answer(request, review, form, saved=False)
            review, following = services.hold_review(review, actor=request.user, **kwargs)
            held = _("Review marked held; its performance pack is kept.")
            if following:
                when = timezone.localtime(following.scheduled_at)
                held = _(
                    "Review marked held; its performance pack is kept. The next review is "
                    "planned for %(date)s."
                ) % {"date": date_format(when, "j M Y")}
            messages.success(request, held)
        elif operation == "cancel":
            services.cancel_review(review, actor=request.user)
            messages.success(request, _("Review cancelled."))
        else:
            raise Http404
    except services.StateConflict as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=http_status(exc))
        messages.error(request, str(exc))
    if request.htmx:
        return HttpResponseClientRedirect(review.get_absolute_url())
    return redirect(review)


@login_required
@require_POST
def change_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _or_403(permissions.may_raise_change(request.user, review))
    form = ChangeRequestForm(request.POST, review=review)
    if form.is_valid():
        try:
            services.raise_change_request(review, actor=request.user, **form.cleaned_data)
        except InputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except services.StateConflict as exc:
            form.add_error(None, str(exc))
        else:
            form = ChangeRequestForm(review=review)
            messages.success(request, _("Change request recorded."))
            if not request.htmx:
                return redirect(review)
    return _changes_section(request, review, form)


def _changes_section(
    request: HtmxHttpRequest,
    review: ServiceReview,
    form: ChangeRequestForm,
    status: int | None = None,
) -> HttpResponse:
    context = {
        "review": review,
        "can_edit": True,
        "change_form": form,
        "decision_form": DecisionForm(),
        **selectors.review_detail_context(review),
    }
    code = status or (400 if form.errors else 200)
    if request.htmx:
        return render(request, "reviews/review_detail.html#changes", context, status=code)
    full = _detail_context(request, review)
    full["change_form"] = form
    return render(request, "reviews/review_detail.html", full, status=code)


@login_required
@require_POST
def change_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(
        ChangeRequest.objects.visible_to(request.user).select_related("review", "review__unit"),
        pk=pk,
    )
    _or_403(permissions.may_decide_change(request.user, change))
    review = change.review
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pick a decision."))
    else:
        try:
            services.decide_change_request(
                change,
                actor=request.user,
                status=form.cleaned_data["status"],
                decision=form.cleaned_data["decision"],
            )
            messages.success(request, _("Decision recorded."))
        except services.StateConflict as exc:
            if request.htmx:
                return HttpResponse(str(exc), status=http_status(exc))
            messages.error(request, str(exc))
    if request.htmx:
        return _changes_section(request, review, ChangeRequestForm(review=review), status=200)
    return redirect(review)


@login_required
@require_POST
def commitment_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _or_403(permissions.may_add_commitment(request.user, review))
    form = CommitmentForm(request.POST, unit=review.unit, prefix="c")
    ok = False
    if form.is_valid():
        spec = form.to_input(request.user)
        if spec is None:
            form.add_error("title", _("What was promised?"))
        else:
            try:
                services.add_commitment(
                    review,
                    services.CommitmentSpec(
                        title=spec.title,
                        due_date=spec.due_date,
                        owner_side=spec.owner_side,
                        owner=spec.owner,
                        owner_stakeholder=spec.owner_stakeholder,
                    ),
                    actor=request.user,
                )
                ok = True
            except (ValidationError, services.StateConflict) as exc:
                form.add_error(None, getattr(exc, "messages", [str(exc)]))
    if ok and not request.htmx:
        messages.success(request, _("Commitment recorded."))
        return redirect(review)
    context = {
        "review": review,
        "can_edit": True,
        "commitment_form": CommitmentForm(unit=review.unit, prefix="c") if ok else form,
        "saved": ok,
        **selectors.review_detail_context(review),
    }
    if request.htmx:
        response = render(
            request, "reviews/review_detail.html#commitments", context, status=200 if ok else 400
        )
        return trigger_client_event(response, "commitmentChanged") if ok else response
    full = _detail_context(request, review)
    full["commitment_form"] = form
    return render(request, "reviews/review_detail.html", full, status=400)


@login_required
def review_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The review as an .ics file, for anyone who may see it."""
    review = _review_or_404(request, pk)
    body = review_ics(review, attendees=review_recipients(review))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="service-review-{review.pk}.ics"'
    return response
