"""Pages of the demand portfolio: submit, the ranked table and kanban, one demand, value.

Every view scopes with `visible_to` (404 for another unit's demand); what an actor may do is
decided by `portfolio.services.workflow`, the code the API and the admin use too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

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
from brm.core.roles import Role, role_of
from portfolio import permissions
from portfolio.files import DEMAND_FILES
from portfolio.filters.demand import DemandFilterSet
from portfolio.forms import BenefitForm, BusinessCaseForm, DemandForm, OverrideForm
from portfolio.models.demand import ACTIVE_STATUSES, AFTER_DELIVERY, Demand, DemandSettings
from portfolio.selectors import demand as selectors
from portfolio.services import demand as services
from portfolio.services import workflow
from portfolio.services.scoring import Weights, explain


def _require_role(request: HtmxHttpRequest) -> None:
    if role_of(request.user) == Role.NONE:
        raise PermissionDenied


def _filter(
    request: HtmxHttpRequest,
    *,
    default_active: bool = True,
    queryset: QuerySet[Demand] | None = None,
) -> DemandFilterSet:
    data = request.GET.copy()
    if default_active and "status" not in data and not data.get("search"):
        data.setlist("status", list(ACTIVE_STATUSES))  # the decisions still open
    if queryset is None:
        queryset = selectors.demand_list(request.user)
    return DemandFilterSet(data, queryset=queryset, request=request)


def _board_filter(request: HtmxHttpRequest) -> tuple[DemandFilterSet, bool]:
    """The ranked table's filter and whether it is ranked (no `ordering` asked for), over the
    ranking and benefit sums as fixed SQL (`demand_rows`, as the API list) joined to what the
    rows show: the unit and who moved a demand by hand. The page and its CSV read the same."""
    ranked = not request.GET.get("ordering")
    rows = selectors.demand_rows(request.user, ranked=ranked).select_related("unit", "override_by")
    return _filter(request, queryset=rows), ranked


# --- The ranked table, the kanban, CSV ---------------------------------------------------------


@login_required
def demand_list(request: HtmxHttpRequest) -> HttpResponse:
    """Demands ranked by score across units (a leader sees their own unit's only)."""
    _require_role(request)
    filterset, ranked = _board_filter(request)
    # The COUNT counts the filtered ids.
    page = paginate(request, filtered(filterset), counted=filtered(filterset).values("pk"))
    if ranked:  # positions count on from the page's first row
        page.object_list = list(selectors.number_board(page.object_list, page.start_index()))
    return render_page(
        request,
        "portfolio/demand_list.html",
        {
            "filter": filterset,
            "page": page,
            "qs": querystring_without(request, "page"),
            "selected_status": cast(QueryDict, filterset.data).getlist("status"),
            "can_submit": permissions.may_submit_demand(request.user),
            "currency": settings.BRM_CURRENCY,
        },
    )


def _board_context(request: HtmxHttpRequest) -> dict[str, Any]:
    filterset = _filter(request, default_active=False)
    qs = filtered(filterset)
    columns = []
    for status, label, demands in selectors.kanban(qs):
        cards = [
            (d, [t for t in workflow.allowed_transitions(d, request.user) if not t.reason_required])
            for d in demands
        ]
        columns.append((status, label, cards))
    return {
        "filter": filterset,
        "columns": columns,
        "can_submit": permissions.may_submit_demand(request.user),
    }


@login_required
def demand_board(request: HtmxHttpRequest) -> HttpResponse:
    """Kanban by status; the buttons on each card post the transition the actor may make."""
    _require_role(request)
    return render_page(
        request, "portfolio/demand_board.html", _board_context(request), partial="board"
    )


@login_required
def demand_export(request: HtmxHttpRequest) -> HttpResponseBase:
    _require_role(request)
    filterset, ranked = _board_filter(request)
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    demands = filtered(filterset)
    # Rows carry the list's annotations (planned_total...), unseen by the checker.
    numbered: Iterable[Any] = selectors.number_board(demands) if ranked else demands
    rows = (
        (
            getattr(d, "position", ""),
            d.reference,
            d.title,
            d.unit.name,
            d.get_status_display(),
            d.priority_score if d.priority_score is not None else "",
            d.rank_override or "",
            d.override_reason,
            d.expected_benefit if d.expected_benefit is not None else "",
            d.estimated_cost if d.estimated_cost is not None else "",
            d.alignment if d.alignment is not None else "",
            d.risk or "",
            d.effort or "",
            d.planned_total,
            d.realised_total,
            d.leakage,
        )
        for d in numbered
    )
    header = [
        "Rank",
        "Reference",
        "Title",
        "Business unit",
        "Status",
        "Priority score",
        "Rank override",
        "Override reason",
        "Expected benefit",
        "Estimated cost",
        "Alignment",
        "Risk",
        "Effort",
        "Planned benefit recorded",
        "Realised benefit",
        "Value leakage",
    ]
    return csv_response("demands.csv", header, rows)


# --- Submitting --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def demand_create(request: HtmxHttpRequest) -> HttpResponse:
    if not permissions.may_submit_demand(request.user):
        raise PermissionDenied(gettext("Your role does not submit demands."))
    form = DemandForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            demand = services.submit_demand(
                services.DemandInput(
                    title=data["title"],
                    problem=data["problem"],
                    outcome=data["outcome"],
                    urgency=data["urgency"],
                    unit=data.get("unit"),
                ),
                actor=request.user,
            )
        except workflow.InputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except workflow.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext(
                    "Thank you. Your idea is recorded as %(reference)s; your relationship "
                    "manager will assess it with you."
                )
                % {"reference": demand.reference},
            )
            return redirect(demand)
    return render(request, "portfolio/demand_form.html", {"form": form})


# --- One demand --------------------------------------------------------------------------------


def _visible(request: HtmxHttpRequest, pk: int) -> Demand:
    return get_object_or_404(selectors.demand_list(request.user), pk=pk)


def _detail_context(request: HtmxHttpRequest, demand: Demand, **extra: Any) -> dict[str, Any]:
    user = request.user
    weights = Weights.from_settings(DemandSettings.get())
    records = list(demand.benefit_records.select_related("confirmed_by", "recorded_by"))
    context = {
        "demand": demand,
        "objectives": list(demand.objectives.all()),
        "changes": list(demand.status_changes.select_related("actor")),
        "explanation": explain(
            demand.expected_benefit,
            demand.estimated_cost,
            demand.alignment,
            demand.risk,
            demand.effort,
            weights,
        ),
        "weights": weights,
        "currency": settings.BRM_CURRENCY,
        "records": records,
        "chart": [
            {
                "period": r.period_start.strftime("%b %Y"),
                "planned": float(r.planned_amount),
                "realised": float(r.realised_amount),
                "confirmed": r.is_confirmed,
            }
            for r in records
        ],
        "transitions": workflow.allowed_transitions(demand, user),
        "can_edit_case": workflow.may_edit_case(demand, user),
        "can_override": workflow.may_override_rank(demand, user),
        "can_record": workflow.may_record_benefits(demand, user),
        "can_confirm": workflow.may_confirm_benefits(demand, user)
        and any(not r.is_confirmed for r in records),
        "override_form": OverrideForm(initial={"rank": demand.rank_override}),
        "benefit_form": BenefitForm(),
        "history": history_entries(demand) if role_of(user) != Role.LEADER else [],
        "files": attachment_panel(request, DEMAND_FILES, demand),
    }
    context.update(extra)
    return context


def _render_detail(
    request: HtmxHttpRequest, demand: Demand, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _detail_context(request, demand, **extra)
    template = "portfolio/demand_detail.html"
    if request.htmx:
        template += "#work"
    return render(request, template, context, status=status)


@login_required
def demand_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    demand = _visible(request, pk)
    return render(request, "portfolio/demand_detail.html", _detail_context(request, demand))


def _done(request: HtmxHttpRequest, pk: int, message: str) -> HttpResponse:
    demand = _visible(request, pk)
    if request.htmx:
        return _render_detail(request, demand, flash=message)
    messages.success(request, message)
    return redirect(demand)


def _refused(request: HtmxHttpRequest, pk: int, error: str, status: int) -> HttpResponse:
    demand = _visible(request, pk)
    if request.htmx:
        return _render_detail(request, demand, status=status, error=error)
    messages.error(request, error)
    return redirect(demand)


@login_required
@require_POST
def demand_transition(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Move the demand. From the kanban (htmx, `board=1`) the board re-renders in place."""
    demand = _visible(request, pk)
    try:
        workflow.transition_demand(
            demand,
            request.POST.get("to", ""),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except RULE_ERRORS as exc:
        error, status = str(exc), http_status(exc)
    else:
        error, status = "", 200
    if request.POST.get("board"):
        if request.htmx:
            context = _board_context(request)
            context["error"] = error
            return render(request, "portfolio/demand_board.html#board", context, status=status)
        if error:
            messages.error(request, error)
        return redirect("demands:demand_board")
    if error:
        return _refused(request, pk, error, status)
    return _done(
        request,
        pk,
        gettext("%(reference)s is now %(status)s.")
        % {"reference": demand.reference, "status": demand.get_status_display()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_case(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The BRM's business-case form; the score is recomputed on save."""
    demand = _visible(request, pk)
    if not workflow.may_edit_case(demand, request.user):
        raise PermissionDenied(
            gettext("Only the unit's relationship manager edits the business case.")
        )
    initial = {
        "sponsor": demand.sponsor_id,
        "benefit_kind": demand.benefit_kind,
        "expected_benefit": demand.expected_benefit,
        "estimated_cost": demand.estimated_cost,
        "objectives": list(demand.objectives.values_list("pk", flat=True)),
        "alignment": demand.alignment,
        "risk": demand.risk,
        "effort": demand.effort,
    }
    form = BusinessCaseForm(request.POST or None, initial=initial, demand=demand)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_business_case(
                demand,
                services.BusinessCase(
                    benefit_kind=data["benefit_kind"],
                    expected_benefit=data["expected_benefit"],
                    estimated_cost=data["estimated_cost"],
                    alignment=data["alignment"],
                    risk=data["risk"],
                    effort=data["effort"],
                    objective_ids=[o.pk for o in data["objectives"]],
                    sponsor=data["sponsor"],
                ),
                actor=request.user,
            )
        except workflow.InputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except workflow.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Business case saved; the priority score is updated."))
            return redirect(demand)
    return render(request, "portfolio/demand_case_form.html", {"form": form, "demand": demand})


@login_required
@require_POST
def demand_override(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    demand = _visible(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, gettext("Give a position (or none) and a reason."), 400)
    try:
        services.override_rank(
            demand,
            form.cleaned_data["rank"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except RULE_ERRORS as exc:
        return _refused(request, pk, str(exc), http_status(exc))
    return _done(request, pk, gettext("Ranking override recorded."))


@login_required
@require_POST
def demand_benefit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    demand = _visible(request, pk)
    form = BenefitForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return _refused(
            request, pk, gettext("Check the figures (%(errors)s).") % {"errors": errors}, 400
        )
    data = form.cleaned_data
    try:
        services.record_benefit(
            demand,
            actor=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            planned=data["planned_amount"],
            realised=data["realised_amount"],
            note=data["note"],
        )
    except RULE_ERRORS as exc:
        return _refused(request, pk, str(exc), http_status(exc))
    return _done(
        request, pk, gettext("Benefit recorded (an IT estimate until the sponsor confirms it).")
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The sponsor's page (linked from the attestation email): confirm realised benefits."""
    demand = _visible(request, pk)
    if not workflow.may_confirm_benefits(demand, request.user):
        raise PermissionDenied(
            gettext("A business leader of the unit confirms the realised benefits.")
        )
    records = list(demand.benefit_records.select_related("confirmed_by"))
    error = ""
    if request.method == "POST":
        try:
            n = services.confirm_benefits(
                demand, [int(i) for i in request.POST.getlist("records")], actor=request.user
            )
        except (workflow.InputError, ValueError) as exc:
            error = getattr(exc, "message", "Unknown benefit record.")
        except workflow.TransitionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Thank you: %(n)s figure(s) confirmed.") % {"n": n})
            return redirect(demand)
    return render(
        request,
        "portfolio/demand_confirm.html",
        {
            "demand": demand,
            "records": records,
            "error": error,
            "currency": settings.BRM_CURRENCY,
        },
        status=400 if error else 200,
    )


# --- Value: leakage and the share of the portfolio per objective -------------------------------


@login_required
def demand_value(request: HtmxHttpRequest) -> HttpResponse:
    if not permissions.may_read_portfolio_value(request.user):
        raise PermissionDenied(gettext("The portfolio value view is for IT leadership and BRMs."))
    demands = selectors.demand_list(request.user)
    share = selectors.portfolio_share(demands)
    delivered = demands.filter(status__in=AFTER_DELIVERY)
    return render(
        request,
        "portfolio/demand_value.html",
        {
            "share": share,
            "share_chart": [{"name": s.name, "pct": float(s.share_pct)} for s in share],
            "by_unit": selectors.leakage_by_unit(demands),
            "by_objective": selectors.leakage_by_objective(demands),
            # `leakage` is annotated by selectors.demand_list; the plugin cannot follow it there.
            "delivered": delivered.order_by("-leakage"),  # type: ignore[misc]
            "currency": settings.BRM_CURRENCY,
        },
    )


@login_required
def objective_list(request: HtmxHttpRequest) -> HttpResponse:
    _require_role(request)
    return render(
        request,
        "portfolio/objective_list.html",
        {"objectives": selectors.objective_list(request.user)},
    )
