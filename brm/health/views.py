"""Dashboards and the relationship-health pages (CIO, BRM, business leader)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brm.core.errors import ForbiddenAction, StateConflict
from brm.core.htmx import HtmxHttpRequest, csv_response, safe_next
from brm.core.pdf import pdf_response
from brm.core.roles import Role, is_it_side, leader_unit_id, role_of
from brm.health import permissions, plans, selectors, services
from brm.health.charts import chart_names
from brm.health.dashboard import AGE_BUCKETS, build_dashboard, heat_map
from brm.health.evidence import evidence_report
from brm.health.facts import components_key, visible_components, watermelon_reasons
from brm.health.forms import MaturityForm, PlanActionForm
from brm.health.maturity import maturity_view
from brm.health.maturity import rate_maturity as record_rating
from brm.health.models import ImprovementPlan
from brm.health.permissions import rating_side
from stakeholders import selectors as register_selectors

if TYPE_CHECKING:
    from stakeholders.models import BusinessUnit


@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    if not is_it_side(request.user):
        unit_id = leader_unit_id(request.user)
        if unit_id is None:
            raise Http404
        return redirect("health:unit_health", unit_id)
    band, brm = request.GET.get("band", ""), request.GET.get("brm", "")
    heat = heat_map(request.user, band=band, brm=brm, page=request.GET.get("page", ""))
    if request.htmx and not request.htmx.boosted and request.htmx.target == "heatmap":
        # Filtering or paging the heat map swaps only the map: none of the other figures.
        return render(request, "brm/dashboard.html#heatmap", {"heat": heat})
    context = {
        "d": build_dashboard(request.user, heat.summary),
        "heat": heat,
        "band": band,
        "brm": brm,
        "age_labels": [str(label) for label, *_ in AGE_BUCKETS],
        "chart_names": chart_names(),
        "bands": selectors.BANDS,
        # What the filter's options show of each BRM (`person`): their names, not whole rows.
        "brms": register_selectors.relationship_managers().only(
            "id", "first_name", "last_name", "username"
        ),
        "can_recompute": permissions.may_recompute(request.user),
    }
    plans = selectors.plans_needing_help(request.user)
    context["plans"], context["plans_total"] = plans, plans[0]["plans_total"] if plans else 0
    template = "brm/dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#dashboard-body"
    return render(request, template, context)


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """Queue a recompute of every unit's health (the button on the dashboard)."""
    if not permissions.may_recompute(request.user):
        raise PermissionDenied
    services.request_recompute(actor=request.user)
    messages.info(request, _("Recomputing relationship health; the dashboard refreshes itself."))
    return redirect(safe_next(request, reverse("health:dashboard")))


@login_required
@require_POST
def recompute_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a recompute of one unit's health (the button on its health page)."""
    unit = get_object_or_404(register_selectors.units_visible_to(request.user), pk=pk)
    if not permissions.may_recompute(request.user, unit):
        raise PermissionDenied
    services.request_unit_recompute(unit, actor=request.user)
    messages.info(request, _("Recomputing this unit's health; reload the page in a moment."))
    return redirect("health:unit_health", pk=unit.pk)


@login_required
def my_relationships(request: HtmxHttpRequest) -> HttpResponse:
    """A BRM's units, most in need of attention first, a page at a time (`?page=`)."""
    if role_of(request.user) not in {Role.BRM, Role.ADMIN}:
        return redirect("health:dashboard")
    mine = selectors.my_relationships(request.user, page=request.GET.get("page", ""))
    template = "brm/relationships.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"items": mine.items, "page": mine.page})


def _unit_health_context(request: HttpRequest, unit: BusinessUnit) -> dict[str, Any]:
    """What the unit's health page shows this user; the PDF shows the same, minus the forms."""
    snapshot, history = selectors.unit_history(unit.pk)
    # The active plan with its unit and its progress (total, done, overdue: the register's
    # promise rules) in one query.
    plan = selectors.active_plans([unit.pk]).order_by("pk").first()
    maturity = maturity_view(unit)
    my_side = rating_side(request.user, unit)
    is_it = is_it_side(request.user)
    return {
        "unit": unit,
        "snapshot": snapshot,
        # The facts behind each figure that this user may read (`visible_components`).
        "components": visible_components(snapshot, request.user) if snapshot else [],
        # The component cards are rendered once per key, unit, reader side, print and promise
        # window (the fragment cache in the template names each): they read nothing else.
        "components_key": components_key(snapshot, request.user) if snapshot else "",
        "watermelon_reasons": (watermelon_reasons(snapshot, request.user) if snapshot else []),
        "history": history,
        "chart_names": chart_names(),
        "plan": plan,
        "plan_actions": plan.actions.select_related("owner").order_by("due_date") if plan else [],
        "progress": (
            {"total": plan.total, "done": plan.done, "overdue": plan.overdue}  # type: ignore[attr-defined]
            if plan
            else None
        ),
        "maturity": maturity,
        "my_side": my_side,
        "maturity_form": MaturityForm() if my_side else None,
        "action_form": (
            PlanActionForm() if plan and permissions.may_change_plan(request.user, plan) else None
        ),
        "can_edit": permissions.may_start_plan(request.user, unit),
        "can_recompute": permissions.may_recompute(request.user, unit),
        "is_it": is_it,
        # The words behind the perception figure (named campaigns only): IT's working view.
        "comments": selectors.survey_comments(unit.pk) if is_it else [],
        # The promises the commitments figure counts, as a filtered commitment list.
        "promise_query": selectors.promise_list_query(unit.pk, snapshot.as_of) if snapshot else "",
    }


# What a printed page leaves out: forms and buttons (a PDF is read, not acted on).
PDF_WITHOUT_CONTROLS = {
    "maturity_form": None,
    "action_form": None,
    "can_edit": False,
    "can_recompute": False,
    "pdf": True,
    "base_template": "includes/pdf_base.html",
}


@login_required
def unit_health(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's relationship health; `?format=pdf` the same page as a printable PDF."""
    unit = get_object_or_404(register_selectors.unit_detail_queryset(request.user), pk=pk)
    context = _unit_health_context(request, unit)
    if request.GET.get("format") == "pdf":
        day = timezone.localdate().isoformat()
        return pdf_response(
            "brm/unit_health.html",
            {**context, **PDF_WITHOUT_CONTROLS},
            request,
            f"relationship-health-{slugify(unit.name) or unit.pk}-{day}.pdf",
        )
    return render(request, "brm/unit_health.html", context)


@login_required
@require_POST
def rate_maturity(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(register_selectors.units_visible_to(request.user), pk=pk)
    form = MaturityForm(request.POST)
    if form.is_valid():
        try:
            record_rating(unit, actor=request.user, **form.cleaned_data)
        except ForbiddenAction as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("Thank you: your view of the relationship is recorded."))
    else:
        messages.error(request, _("Pick one of the five levels."))
    return redirect(reverse("health:unit_health", args=[unit.pk]) + "#maturity")


@login_required
@require_POST
def start_plan(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(register_selectors.units_visible_to(request.user), pk=pk)
    if not permissions.may_start_plan(request.user, unit):
        raise PermissionDenied
    plan = plans.start_plan(unit, actor=request.user, reason=request.POST.get("reason", ""))
    return redirect(plan)


def _editable_plan(request: HttpRequest, pk: int) -> ImprovementPlan:
    plan = get_object_or_404(
        ImprovementPlan.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    if not permissions.may_change_plan(request.user, plan):
        raise PermissionDenied
    return plan


@login_required
@require_POST
def add_plan_action(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable_plan(request, pk)
    form = PlanActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An action needs a title and a due date."))
        return redirect(plan)
    try:
        plans.add_plan_action(plan, actor=request.user, **form.cleaned_data)
    except StateConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Action added to the improvement plan."))
    return redirect(plan)


@login_required
@require_POST
def close_plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable_plan(request, pk)
    completed = request.POST.get("outcome") == "completed"
    if plans.close_plan(plan, actor=request.user, completed=completed):
        messages.success(
            request,
            _("Improvement plan completed.") if completed else _("Improvement plan abandoned."),
        )
    return redirect(plan)


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today.replace(month=1, day=1) if today.month > 3 else today - timedelta(days=365)
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    if end < start:
        start, end = end, start
    return start, end


@login_required
def evidence(request: HttpRequest) -> HttpResponseBase:
    """ISO/IEC 20000 evidence for an auditor: HTML, CSV with `?format=csv`, PDF with
    `?format=pdf` (the table and a chart of its shares per unit)."""
    if not is_it_side(request.user):
        raise Http404
    start, end = _period(request)
    report = evidence_report(request.user, start, end)
    if request.GET.get("format") == "csv":
        return csv_response(f"iso20000-evidence-{start}-{end}.csv", report.header, report.rows)
    context = {"report": report, "start": start, "end": end}
    if request.GET.get("format") == "pdf":
        return pdf_response(
            "brm/evidence.html",
            {**context, **PDF_WITHOUT_CONTROLS},
            request,
            f"iso20000-evidence-{start}-{end}.pdf",
        )
    return render(request, "brm/evidence.html", context)
