"""Pages of the service catalogue: the list and a service with its metric history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from brm.core.htmx import (
    HtmxHttpRequest,
    csv_response,
    filtered,
    paginate,
    querystring_without,
    render_page,
)
from brm.core.roles import is_it_side
from portfolio.filters.catalogue import ServiceFilterSet
from portfolio.models.catalogue import Service
from portfolio.selectors import catalogue as selectors


@login_required
def service_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset = ServiceFilterSet(
        request.GET, queryset=selectors.service_list(request.user), request=request
    )
    page = paginate(request, filtered(filterset))
    return render_page(
        request,
        "portfolio/service_list.html",
        {"filter": filterset, "page": page, "qs": querystring_without(request, "page")},
    )


@login_required
def service_export(request: HtmxHttpRequest) -> HttpResponseBase:
    """The catalogue as the user may see it, as CSV with the list's filters; its columns are the
    bulk import's (by code), so it re-imports unchanged (README "Bulk import")."""
    filterset = ServiceFilterSet(
        request.GET, queryset=selectors.service_list(request.user), request=request
    )
    if not filterset.is_valid():
        return HttpResponse("Invalid filter: " + filterset.form.errors.as_text(), status=400)
    rows = (
        (
            s.code or "",
            s.name,
            s.get_lifecycle_display(),
            s.availability_target,
            "" if s.response_time_target_minutes is None else s.response_time_target_minutes,
            "" if s.workload_limit is None else s.workload_limit,
            s.workload_unit,
            s.description,
        )
        for s in filterset.qs.iterator(chunk_size=500)
    )
    header = [
        "Code",
        "Name",
        "Lifecycle",
        "Availability target",
        "Response time target minutes",
        "Workload limit",
        "Workload unit",
        "Description",
    ]
    return csv_response("services.csv", header, rows)


@login_required
def service_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.visible_to(request.user).select_related("owner"), pk=pk
    )
    history = selectors.metric_history(service)
    consumers = service.consumers.all()
    if not is_it_side(request.user):
        # A business leader sees that the service is shared, not who else uses it.
        consumers = consumers.none()
    return render(
        request,
        "portfolio/service_detail.html",
        {
            "service": service,
            "history": history,
            "rows": list(reversed(history)),
            "consumers": consumers,
        },
    )
