"""Pages of the service catalogue: the list and a service with its metric history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from brm.core.htmx import HtmxHttpRequest, filtered, paginate, querystring_without, render_page
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
