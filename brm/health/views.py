"""Dashboards and the relationship-health pages (CIO, BRM, business leader)."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from brm.health import selectors
from brm.health.dashboard import AGE_BUCKETS, build_dashboard
from brm.health.evidence import evidence_report
from brm.health.forms import MaturityForm, PlanActionForm
from brm.health.plans import plan_progress
from brm.htmx import safe_next
from brm.models import HealthSnapshot, ImprovementPlan, MaturityAssessment
from brm.models.health import PlanStatus, Side
from brm.outbox import queue_after_commit
from brm.roles import GROUP_NAMES, Role, is_it_side, leader_unit_id, may_write, role_of
from stakeholders.models import ActionItem, BusinessUnit, OwnerSide


@login_required
def dashboard(request):  # type: ignore[no-untyped-def]
    if not is_it_side(request.user):
        unit_id = leader_unit_id(request.user)
        if unit_id is None:
            raise Http404
        return redirect("health:unit_health", unit_id)
    band, brm = request.GET.get("band", ""), request.GET.get("brm", "")
    data = build_dashboard(request.user, band=band, brm=brm)
    context = {
        "d": data,
        "band": band,
        "brm": brm,
        "age_labels": [label for label, *_ in AGE_BUCKETS],
        "bands": ["red", "amber", "green", "none"],
        "brms": get_user_model()
        .objects.filter(groups__name=GROUP_NAMES[Role.BRM], is_active=True)
        .order_by("first_name", "username"),
        # The plans needing most help first; a long tail is one click away on each unit.
        "plans": list(selectors.active_plans().order_by("-overdue", "unit__name")[:10]),
        "plans_total": selectors.active_plans().count(),
        "can_recompute": may_write(request.user) or role_of(request.user) == Role.EXECUTIVE,
    }
    template = "brm/dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#heatmap" if request.htmx.target == "heatmap" else "#dashboard-body"
    return render(request, template, context)


@login_required
@require_POST
def recompute(request):  # type: ignore[no-untyped-def]
    """Queue a recompute of every unit's health (the button on the dashboard)."""
    if not (may_write(request.user) or role_of(request.user) == Role.EXECUTIVE):
        raise PermissionDenied
    from brm.tasks import recompute_health_task

    queue_after_commit(recompute_health_task)
    messages.info(request, "Recomputing relationship health; the dashboard refreshes itself.")
    return redirect(safe_next(request, reverse("health:dashboard")))


@login_required
def my_relationships(request):  # type: ignore[no-untyped-def]
    if role_of(request.user) not in {Role.BRM, Role.ADMIN}:
        return redirect("health:dashboard")
    items = selectors.my_relationships(request.user)
    return render(request, "brm/relationships.html", {"items": items})


@login_required
def unit_health(request, pk: int):  # type: ignore[no-untyped-def]
    unit = get_object_or_404(
        BusinessUnit.objects.visible_to(request.user).select_related("brm", "deputy"), pk=pk
    )
    history = selectors.unit_history(unit.pk)
    snapshot = history[-1] if history else None
    plan = ImprovementPlan.objects.filter(unit=unit, status=PlanStatus.ACTIVE).first()
    ratings = list(
        MaturityAssessment.objects.filter(unit=unit)
        .select_related("rated_by")
        .order_by("-created_at")[:20]
    )
    latest = {side: next((r for r in ratings if r.side == side), None) for side in Side.values}
    gap = (
        latest["it"].level - latest["business"].level
        if latest["it"] and latest["business"]
        else None
    )
    my_side = _maturity_side(request.user, unit)
    is_it = is_it_side(request.user)
    gap_trend = maturity_gap_trend(ratings)
    context = {
        "unit": unit,
        "snapshot": snapshot,
        "history": [
            {"d": s.as_of.isoformat(), "s": s.score, "p": s.perception, "dl": s.delivery}
            for s in history
        ],
        "plan": plan,
        "plan_actions": plan.actions.select_related("owner").order_by("due_date") if plan else [],
        "progress": plan_progress(plan) if plan else None,
        "ratings": ratings,
        "latest": latest,
        "gap": gap,
        "gap_trend": gap_trend,
        "my_side": my_side,
        "maturity_form": MaturityForm() if my_side else None,
        "action_form": PlanActionForm() if plan and unit.is_editable_by(request.user) else None,
        "can_edit": unit.is_editable_by(request.user),
        "is_it": is_it,
        # The words behind the perception figure (named campaigns only): IT's working view.
        "comments": selectors.survey_comments(unit.pk) if is_it else [],
    }
    return render(request, "brm/unit_health.html", context)


def maturity_gap_trend(ratings: list[MaturityAssessment]) -> list[dict[str, object]]:
    """How far apart the two sides' views were after each new rating, oldest first."""
    latest: dict[str, int] = {}
    trend = []
    for rating in sorted(ratings, key=lambda r: r.created_at):
        latest[rating.side] = rating.level
        if len(latest) == 2:
            trend.append(
                {
                    "at": rating.created_at,
                    "it": latest["it"],
                    "business": latest["business"],
                    "gap": latest["it"] - latest["business"],
                }
            )
    return trend


def _maturity_side(user, unit: BusinessUnit) -> str | None:  # type: ignore[no-untyped-def]
    """The BRM (or deputy) rates for IT; the unit's business leader rates for the business."""
    if role_of(user) == Role.LEADER and leader_unit_id(user) == unit.pk:
        return Side.BUSINESS
    if user.pk in (unit.brm_id, unit.deputy_id):
        return Side.IT
    return None


@login_required
@require_POST
def rate_maturity(request, pk: int):  # type: ignore[no-untyped-def]
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=pk)
    side = _maturity_side(request.user, unit)
    if side is None:
        raise PermissionDenied(
            "Only the unit's BRM and its business leaders rate the relationship."
        )
    form = MaturityForm(request.POST)
    if form.is_valid():
        MaturityAssessment.objects.create(
            unit=unit, side=side, rated_by=request.user, **form.cleaned_data
        )
        messages.success(request, "Thank you: your view of the relationship is recorded.")
    else:
        messages.error(request, "Pick one of the five levels.")
    return redirect("health:unit_health", unit.pk)


@login_required
@require_POST
def start_plan(request, pk: int):  # type: ignore[no-untyped-def]
    unit = get_object_or_404(BusinessUnit.objects.visible_to(request.user), pk=pk)
    if not unit.is_editable_by(request.user):
        raise PermissionDenied
    with transaction.atomic():
        if not ImprovementPlan.objects.filter(unit=unit, status=PlanStatus.ACTIVE).exists():
            snapshot = HealthSnapshot.objects.filter(unit=unit).order_by("-as_of").first()
            ImprovementPlan.objects.create(
                unit=unit,
                reason=request.POST.get("reason", "")[:2000] or "Started by the BRM.",
                score_at_start=snapshot.score if snapshot else None,
                created_by=request.user,
            )
    return redirect(f"{unit.get_absolute_url()}health/#plan")


@login_required
@require_POST
def add_plan_action(request, pk: int):  # type: ignore[no-untyped-def]
    plan = get_object_or_404(
        ImprovementPlan.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    if not plan.is_editable_by(request.user) or plan.status != PlanStatus.ACTIVE:
        raise PermissionDenied
    form = PlanActionForm(request.POST)
    if form.is_valid():
        ActionItem.objects.create(
            unit=plan.unit,
            improvement_plan=plan,
            owner_side=OwnerSide.IT,
            owner=request.user,
            created_by=request.user,
            **form.cleaned_data,
        )
        messages.success(request, "Action added to the improvement plan.")
    else:
        messages.error(request, "An action needs a title and a due date.")
    return redirect(f"/units/{plan.unit_id}/health/#plan")


@login_required
@require_POST
def close_plan(request, pk: int):  # type: ignore[no-untyped-def]
    plan = get_object_or_404(ImprovementPlan.objects.visible_to(request.user), pk=pk)
    if not plan.is_editable_by(request.user):
        raise PermissionDenied
    outcome = request.POST.get("outcome")
    status = PlanStatus.COMPLETED if outcome == "completed" else PlanStatus.ABANDONED
    ImprovementPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(
        status=status, closed_at=timezone.now()
    )
    messages.success(request, f"Improvement plan {status.label.lower()}.")
    return redirect(f"/units/{plan.unit_id}/health/#plan")


def _period(request) -> tuple[date, date]:  # type: ignore[no-untyped-def]
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
def evidence(request):  # type: ignore[no-untyped-def]
    """ISO/IEC 20000 evidence for an auditor: HTML, or CSV with `?format=csv`."""
    if not is_it_side(request.user):
        raise Http404
    start, end = _period(request)
    report = evidence_report(request.user, start, end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="iso20000-evidence-{start}-{end}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(report.header)
        writer.writerows(report.rows)
        return response
    return render(request, "brm/evidence.html", {"report": report, "start": start, "end": end})
