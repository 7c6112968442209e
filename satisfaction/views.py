"""Pages of satisfaction surveys: campaigns, the builder, live response rate, results, and the
public answer page (`/s/<token>/`, no login).

Campaign pages scope with `visible_to` (404) and ask `satisfaction.permissions` (the rule the
services enforce) before offering a change (403).
The audience and skip lists are IT-only; a business leader sees their own unit's aggregates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from brm.core.htmx import (
    HtmxHttpRequest,
    filtered,
    paginate,
    querystring_without,
    render_page,
)
from brm.core.roles import Role, is_it_side, leader_unit_id, role_of
from satisfaction import answering, permissions, selectors, services
from satisfaction.audience import plan_audience
from satisfaction.filters import CampaignFilterSet
from satisfaction.forms import CampaignForm
from satisfaction.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    SatisfactionSettings,
)
from stakeholders.models import BusinessUnit


def _campaign_or_404(request: HtmxHttpRequest, pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.visible_to(request.user).select_related("template", "owner", "parent"),
        pk=pk,
    )


@login_required
def campaign_list(request: HtmxHttpRequest) -> HttpResponse:
    qs = (
        Campaign.objects.visible_to(request.user)
        .filter(parent__isnull=True)
        .select_related("template", "owner")
        .annotate(
            invited=Count("invitations", distinct=True),
            answered=Count(
                "invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )
    filterset = CampaignFilterSet(request.GET, queryset=qs, request=request)
    context = {
        "filter": filterset,
        "page": paginate(request, filtered(filterset)),
        "qs": querystring_without(request, "page"),
        "status": request.GET.get("status", ""),
        "kind": request.GET.get("kind", ""),
        "search": request.GET.get("search", ""),
        "unit": filterset.form.cleaned_data.get("unit") if filterset.is_valid() else None,
        "statuses": CampaignStatus.choices,
        "may_build": permissions.may_run_campaign(request.user),
    }
    return render_page(request, "satisfaction/campaign_list.html", context)


def _apply_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _form_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "units"}


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HtmxHttpRequest) -> HttpResponse:
    if not permissions.may_run_campaign(request.user):
        raise PermissionDenied(gettext("Relationship managers build surveys."))
    units = BusinessUnit.objects.editable_by(request.user).filter(active=True)
    conf = SatisfactionSettings.get()
    if request.method == "POST":
        form = CampaignForm(request.POST, units=units)
        if form.is_valid():
            try:
                campaign = services.create_campaign(
                    actor=request.user,
                    units=form.cleaned_data["units"],
                    **_form_fields(form.cleaned_data),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Draft saved. Check who it reaches, then schedule it."))
                return redirect(campaign)
    else:
        form = CampaignForm(
            units=units,
            initial={
                "max_reminders": conf.default_max_reminders,
                "reminder_days": conf.default_reminder_days,
            },
        )
    return render(request, "satisfaction/campaign_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    if not permissions.may_change_campaign(request.user, campaign):
        raise PermissionDenied(gettext("You may read this campaign but not change it."))
    units = BusinessUnit.objects.editable_by(request.user).filter(active=True)
    if request.method == "POST":
        form = CampaignForm(request.POST, instance=campaign, units=units)
        if form.is_valid():
            try:
                services.update_campaign(
                    campaign,
                    actor=request.user,
                    units=form.cleaned_data["units"],
                    **_form_fields(form.cleaned_data),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            except services.StateConflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Campaign saved."))
                return redirect(campaign)
    else:
        form = CampaignForm(instance=campaign, units=units)
    return render(request, "satisfaction/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
def campaign_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    if not is_it_side(request.user):
        return redirect("satisfaction:campaign_results", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "can_edit": permissions.may_change_campaign(request.user, campaign),
        "units": list(campaign.units.all()),
        "rate": selectors.response_rate(campaign),
        "runs": list(campaign.runs.order_by("-opened_at", "-pk")[:20]),
    }
    if campaign.status in {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}:
        context["plan"] = plan_audience(campaign)
    else:
        context["skips"] = list(campaign.skips.select_related("stakeholder__unit"))
    return render(request, "satisfaction/campaign_detail.html", context)


@login_required
def campaign_rate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The live response-rate box; the campaign page polls it while the campaign is open."""
    campaign = _campaign_or_404(request, pk)
    if not is_it_side(request.user):
        raise Http404
    return render(
        request,
        "satisfaction/campaign_detail.html#rate",
        {"campaign": campaign, "rate": selectors.response_rate(campaign)},
    )


@login_required
@require_POST
def campaign_transition(request: HtmxHttpRequest, pk: int, operation: str) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    if not permissions.may_change_campaign(request.user, campaign):
        raise PermissionDenied(gettext("You may read this campaign but not change it."))
    actions = {"schedule": services.schedule_campaign, "close": services.close_campaign}
    if operation not in actions:
        raise Http404
    try:
        actions[operation](campaign, actor=request.user)
    except services.StateConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Scheduled: invitations go out at the first send time.")
            if operation == "schedule"
            else _("Campaign closed: links stop working and no reminders go out."),
        )
    return redirect(campaign)


@login_required
def campaign_results(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    conf = SatisfactionSettings.get()
    unit_ids: list[int] | None = None
    if role_of(request.user) == Role.LEADER:
        own = leader_unit_id(request.user)
        unit_ids = [own] if own is not None else []
    try:
        comments_from = max(0, int(request.GET.get("comments", 0)))
    except ValueError:
        comments_from = 0  # a malformed offset shows the newest comments, not an error
    res = selectors.results(
        campaign, unit_ids=unit_ids, conf=conf, comments_from=min(comments_from, 10**6)
    )
    if campaign.runs.exists():
        series = Campaign.objects.filter(parent=campaign)
    else:
        series = (
            Campaign.objects.visible_to(request.user)
            .filter(template=campaign.template, kind=campaign.kind, parent__isnull=True)
            .exclude(status=CampaignStatus.DRAFT)
        )
    trend = selectors.trend(series, unit_ids=unit_ids, hide_below=conf.anonymity_min_group)
    return render(
        request,
        "satisfaction/campaign_results.html",
        {
            "campaign": campaign,
            "res": res,
            "trend": trend,
            "leader_view": unit_ids is not None,
            "csat_dist": res.distribution.get("csat", []),
            "nps_dist": res.distribution.get("nps", []),
            "newer_comments_from": max(0, res.comments_from - selectors.COMMENTS_PER_PAGE),
            "older_comments_from": res.comments_from + selectors.COMMENTS_PER_PAGE,
        },
    )


# --- The public answer page -----------------------------------------------------------------

# The respondent's browser language decides (most have no account): translated when shown.
GONE = {
    answering.LinkState.USED: (
        gettext_lazy("You have already answered"),
        gettext_lazy("Thank you: your answers were saved. Each link works once."),
    ),
    answering.LinkState.EXPIRED: (
        gettext_lazy("This survey link has expired"),
        gettext_lazy(
            "The survey is no longer collecting answers from this link. Thank you all the same."
        ),
    ),
    answering.LinkState.CLOSED: (
        gettext_lazy("This survey has closed"),
        gettext_lazy("The survey is no longer collecting answers. Thank you all the same."),
    ),
}


def _link_page(request: HtmxHttpRequest, state: str) -> HttpResponse:
    if state == answering.LinkState.UNKNOWN:
        title, text, status = (
            _("We could not find this survey link"),
            _(
                "Please check that you opened the whole link from your email. If you received a "
                "reminder, use the link in the newest email."
            ),
            404,
        )
    else:
        title, text, status = str(GONE[state][0]), str(GONE[state][1]), 410
    return render(
        request, "satisfaction/answer_gone.html", {"title": title, "text": text}, status=status
    )


def _private(response: HttpResponse) -> HttpResponse:
    # The token is a credential: keep it out of caches and search engines. The site-wide
    # "same-origin" referrer policy already keeps it from other sites; "no-referrer" here would
    # make browsers send `Origin: null` with the form, and Django's CSRF check rejects that.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The survey for one invitation; no login: the unguessable token is the credential."""
    invitation = answering.invitation_for_link(token)
    state = answering.link_state(invitation)
    if invitation is None or state != answering.LinkState.OK:
        return _private(_link_page(request, state))
    form = answering.form_for(invitation, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            answering.submit_response(invitation, form)
        except answering.AlreadyAnswered:
            # Used or expired between loading the page and submitting: say which.
            fresh = Invitation.objects.select_related("campaign").get(pk=invitation.pk)
            state = answering.link_state(fresh)
            if state == answering.LinkState.OK:
                state = answering.LinkState.USED
            return _private(_link_page(request, state))
        return _private(
            render(request, "satisfaction/answer_thanks.html", {"campaign": invitation.campaign})
        )
    return _private(
        render(
            request,
            "satisfaction/answer.html",
            {
                "invitation": invitation,
                "campaign": invitation.campaign,
                "form": form,
                "unit": invitation.stakeholder.unit,
                "now": timezone.now(),
            },
            status=400 if form.is_bound else 200,
        )
    )
