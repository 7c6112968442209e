"""Pages of the stakeholder register: units, the register, the map, meetings and commitments.

Every view scopes its queryset with `visible_to` (404 for what the user may not see) and asks
`stakeholders.permissions` (the rule the services enforce) what to offer: 403 for read-only access.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from brm.core.audit import history_entries
from brm.core.errors import StateConflict
from brm.core.htmx import (
    HtmxHttpRequest,
    csv_response,
    filtered,
    paginate,
    querystring_without,
    render_page,
    safe_next,
)
from brm.core.roles import Role, is_it_side, role_of
from stakeholders import permissions, selectors, services
from stakeholders.filters import ActionItemFilterSet, BusinessUnitFilterSet, StakeholderFilterSet
from stakeholders.forms import (
    ActionItemForm,
    DropForm,
    ReassignForm,
    StakeholderForm,
    meeting_forms,
)
from stakeholders.models import BusinessUnit, Stakeholder


def _or_403(allowed: bool) -> None:
    # The page decides what to offer with the same `permissions.may_*` the service enforces.
    if not allowed:
        raise PermissionDenied(gettext("You may read this record but not change it."))


# --- Business units ---------------------------------------------------------------------------


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    filterset = BusinessUnitFilterSet(
        request.GET, queryset=selectors.unit_list(request.user), request=request
    )
    page = paginate(request, filtered(filterset))
    return render_page(
        request,
        "stakeholders/unit_list.html",
        {"filter": filterset, "page": page, "qs": querystring_without(request, "page")},
    )


@login_required
def unit_export(request: HttpRequest) -> HttpResponseBase:
    """The unit list as CSV with the list's filters and scope; its columns are the bulk
    import's (code, name, parent by code...), so it re-imports unchanged (README "Bulk import")."""
    filterset = BusinessUnitFilterSet(
        request.GET, queryset=selectors.unit_list(request.user), request=request
    )
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            u.code,
            u.name,
            u.parent.code if u.parent else "",
            u.description,
            u.review_cadence_days,
            "yes" if u.active else "no",
            (u.brm.get_full_name() or u.brm.get_username()) if u.brm else "",
        )
        for u in filterset.qs.iterator(chunk_size=500)
    )
    header = [
        "Code",
        "Name",
        "Parent code",
        "Description",
        "Review cadence days",
        "Active",
        "Relationship manager",
    ]
    return csv_response("business-units.csv", header, rows)


# The unit page and its timeline read every workflow app, so they are assembled at the top floor
# (brm.health.unit_page) and wired into this app's URL namespace by brm/urls.py.


@login_required
@require_http_methods(["GET", "POST"])
def interaction_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Log a meeting with its commitments. Inline on the unit page (htmx) or as its own page."""
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=pk)
    _or_403(permissions.may_log_interaction(request.user, unit))
    # The unit page loads this form on demand (htmx GET) rather than building it on every view.
    form, formset = meeting_forms(unit, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        services.log_interaction(
            unit,
            actor=request.user,
            fields={k: data[k] for k in ("kind", "occurred_at", "summary", "sentiment", "notes")},
            attendees=data["attendees"],
            it_participants=data["it_participants"],
            commitments=[c for c in (f.to_input(request.user) for f in formset) if c],
        )
        if request.htmx:
            # A fresh form in place, and the timeline reloads itself on this event. The form
            # says "logged" itself: a flash message would only reappear on the next page.
            form, formset = meeting_forms(unit)
            response = render(
                request,
                "stakeholders/unit_detail.html#log-form",
                {"unit": unit, "form": form, "formset": formset, "saved": True},
            )
            return trigger_client_event(response, "interactionLogged")
        messages.success(request, _("Meeting logged."))
        return redirect(unit)
    context = {"unit": unit, "form": form, "formset": formset}
    if request.htmx:
        return render(request, "stakeholders/unit_detail.html#log-form", context)
    return render(request, "stakeholders/interaction_form.html", context)


UNIT_HISTORY_SHOWN = 10


@login_required
def unit_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A unit's change history, IT's record (404 for the business side, as on the unit page).
    The unit page loads it on demand (htmx: the section alone, nothing when there is no change
    yet); without JavaScript it is a page of its own."""
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=pk)
    if not is_it_side(request.user):
        raise Http404
    history = history_entries(unit, limit=UNIT_HISTORY_SHOWN)
    if request.htmx:
        if not history:
            return HttpResponse("")
        return render(request, "includes/history.html", {"history": history})
    return render(request, "stakeholders/unit_history.html", {"unit": unit, "history": history})


@login_required
def unit_handover(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(
        BusinessUnit.objects.visible_to(request.user).select_related("brm", "deputy"), pk=pk
    )
    if not is_it_side(request.user):
        raise Http404  # a working document of IT's; the business side has its own unit page
    pack = selectors.handover_pack(unit, request.user)
    last = unit.handovers.select_related("from_brm", "to_brm").first()
    context = {
        "unit": unit,
        "pack": pack,
        "last": last,
        "map_query": {"unit": unit.pk},  # the map's cells link to this unit's people only
    }
    return render(request, "stakeholders/unit_handover.html", context)


@login_required
@require_POST
def unit_reassign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=pk)
    if not permissions.may_reassign_brm(request.user, unit):
        raise PermissionDenied(gettext("Only administrators reassign a unit's BRM."))
    form = ReassignForm(request.POST)
    if form.is_valid():
        handover = services.reassign_brm(
            unit,
            new_brm=form.cleaned_data["new_brm"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
        if handover:
            messages.success(
                request, _("Relationship handed over; the new BRM gets the handover pack.")
            )
        else:
            messages.info(request, _("That person already manages this relationship."))
    else:
        messages.error(request, _("Pick an active relationship manager."))
    if request.htmx:
        return HttpResponseClientRedirect(unit.get_absolute_url())
    return redirect(unit)


# --- The register -----------------------------------------------------------------------------

# The register's "Influence at least" choices: (value, label) of the 1-5 scale.
INFLUENCE_LEVELS = [(str(n), str(n)) for n in range(1, 6)]


def _register_filter(request: HttpRequest) -> StakeholderFilterSet:
    return StakeholderFilterSet(
        request.GET, queryset=selectors.stakeholder_list(request.user), request=request
    )


def _require_analysis(request: HttpRequest) -> None:
    """The register and the map are IT's stakeholder analysis: 403 for the business side."""
    if not permissions.may_see_analysis(request.user):
        raise PermissionDenied(gettext("Stakeholder analysis is IT's working notes."))


@login_required
def stakeholder_list(request: HttpRequest) -> HttpResponse:
    _require_analysis(request)
    filterset = _register_filter(request)
    page = paginate(request, filtered(filterset))
    return render_page(
        request,
        "stakeholders/stakeholder_list.html",
        {
            "filter": filterset,
            "page": page,
            "qs": querystring_without(request, "page"),
            # Pages are for people; integrations add people through the API.
            "can_add": permissions.may_add_stakeholder(request.user)
            and role_of(request.user) != Role.INTEGRATION,
            "influence_levels": INFLUENCE_LEVELS,
        },
    )


@login_required
def stakeholder_export(request: HttpRequest) -> HttpResponseBase:
    _require_analysis(request)
    filterset = _register_filter(request)
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            s.name,
            s.job_title,
            s.unit.name,
            s.get_role_type_display(),
            s.influence,
            s.interest,
            s.email,
            s.phone,
            s.get_preferred_channel_display(),
            "yes" if s.active else "no",
            timezone.localdate(s.last_met_at).isoformat() if s.last_met_at else "",
        )
        for s in filterset.qs.iterator(chunk_size=500)
    )
    header = [
        "Name",
        "Job title",
        "Business unit",
        "Role",
        "Influence",
        "Interest",
        "Email",
        "Phone",
        "Preferred channel",
        "Active",
        "Last met",
    ]
    return csv_response("stakeholders.csv", header, rows)


@login_required
def stakeholder_map(request: HttpRequest) -> HttpResponse:
    _require_analysis(request)
    filterset = _register_filter(request)
    people = filtered(filterset)
    grid = selectors.stakeholder_grid(people.filter(active=True).order_by("name"))
    return render_page(
        request,
        "stakeholders/stakeholder_map.html",
        {"filter": filterset, "grid": grid},
        partial="grid",
    )


@login_required
def stakeholder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.stakeholder_list(request.user), pk=pk)
    return render(
        request,
        "stakeholders/stakeholder_detail.html",
        {
            "person": person,
            "can_edit": permissions.may_edit_stakeholder(request.user, person),
            "meetings": selectors.interaction_list(request.user).filter(attendees=person)[:15],
            "commitments": selectors.action_item_list(request.user).filter(
                owner_stakeholder=person
            )[:15],
            "history": history_entries(person) if is_it_side(request.user) else [],
            "sees_analysis": permissions.may_see_analysis(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = None
    if pk is not None:
        person = get_object_or_404(Stakeholder.objects.visible_to(request.user), pk=pk)
        _or_403(permissions.may_edit_stakeholder(request.user, person))
    else:
        # Pages are for people; integrations add people through the API.
        _or_403(
            permissions.may_add_stakeholder(request.user)
            and role_of(request.user) != Role.INTEGRATION
        )
    initial = {"unit": request.GET.get("unit")} if person is None else None
    form = StakeholderForm(
        request.POST or None, instance=person, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        person = services.save_stakeholder(form.save(commit=False), actor=request.user)
        messages.success(request, _("%(name)s saved.") % {"name": person.name})
        return redirect(person)
    return render(request, "stakeholders/stakeholder_form.html", {"form": form, "person": person})


# --- Commitments ------------------------------------------------------------------------------


def _commitment_filter(request: HttpRequest) -> ActionItemFilterSet:
    data = request.GET.copy()
    if role_of(request.user) == Role.BRM and "mine" not in data and not data.get("unit"):
        data["mine"] = "true"  # a BRM's default view: their own promises
    if "status" not in data:
        data["status"] = "open"
    return ActionItemFilterSet(
        data, queryset=selectors.action_item_list(request.user), request=request
    )


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    filterset = _commitment_filter(request)
    qs = filtered(filterset)
    if not request.GET.get("ordering"):
        qs = qs.order_by("due_date", "pk")
    page = paginate(request, qs)
    # Which rows offer their actions: each row's own rule (`is_editable_by`, what
    # `BusinessUnit.objects.editable_by` filters by) on the page's rows, not a query of every
    # unit the user may change. The page's rows are read here once and kept for the template.
    page.object_list = rows = list(page.object_list)
    editable_units = {item.unit_id for item in rows if item.is_editable_by(request.user)}
    return render_page(
        request,
        "stakeholders/action_list.html",
        {
            "filter": filterset,
            "page": page,
            "qs": querystring_without(request, "page"),
            "editable_units": editable_units,
        },
    )


@login_required
def action_export(request: HttpRequest) -> HttpResponseBase:
    filterset = _commitment_filter(request)
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            a.title,
            a.unit.name,
            a.get_owner_side_display(),
            a.owner_name,
            a.due_date.isoformat(),
            a.get_status_display(),
            a.outcome_label,
            timezone.localdate(a.completed_at).isoformat() if a.completed_at else "",
        )
        for a in filterset.qs.order_by("due_date", "pk").iterator(chunk_size=500)
    )
    header = [
        "Commitment",
        "Business unit",
        "Side",
        "Owner",
        "Due",
        "Status",
        "Outcome",
        "Completed",
    ]
    return csv_response("commitments.csv", header, rows)


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.action_item_list(request.user), pk=pk)
    can_edit = permissions.may_change_commitment(request.user, item)
    form = None
    if can_edit and request.method == "POST":
        form = ActionItemForm(request.POST, instance=item)
        if form.is_valid():
            services.update_commitment(form.save(commit=False), actor=request.user)
            messages.success(request, _("Commitment updated."))
            return redirect(item)
    elif can_edit:
        form = ActionItemForm(instance=item)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "stakeholders/action_detail.html",
        {
            "item": item,
            "form": form,
            "can_edit": can_edit,
            "drop_form": DropForm(),
            "history": history_entries(item) if is_it_side(request.user) else [],
        },
    )


@login_required
@require_POST
def action_transition(request: HtmxHttpRequest, pk: int, operation: str) -> HttpResponse:
    """Mark done, drop or reopen. With htmx, the row re-renders in place."""
    item = get_object_or_404(selectors.action_item_list(request.user), pk=pk)
    _or_403(permissions.may_change_commitment(request.user, item))
    try:
        if operation == "done":
            services.complete_action_item(item, actor=request.user)
            done = _("“%(title)s” marked done.") % {"title": item.title}
        elif operation == "drop":
            form = DropForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say why the commitment is dropped."))
                return redirect(item)
            services.drop_action_item(item, actor=request.user, reason=form.cleaned_data["reason"])
            done = _("“%(title)s” dropped.") % {"title": item.title}
        elif operation == "reopen":
            services.reopen_action_item(item, actor=request.user)
            done = _("“%(title)s” reopened.") % {"title": item.title}
        else:
            raise Http404
    except StateConflict as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=409)
        messages.error(request, str(exc))
        return redirect(item)
    if request.htmx:
        # The re-rendered row shows the change; a flash message would only pile up for later.
        response = render(
            request,
            "stakeholders/action_list.html#row",
            {"items": [item], "editable_units": {item.unit_id}},
        )
        return trigger_client_event(response, "commitmentChanged")
    messages.success(request, done)
    return redirect(safe_next(request, item.get_absolute_url()))
