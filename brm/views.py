"""Project-level pages: each role's home, liveness (/healthz) and readiness (/readyz)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from brm.core.roles import Role, leader_unit_id, role_of
from brm.readiness import readiness


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it starts its day on."""
    role = role_of(request.user)
    if role == Role.LEADER:
        unit_id = leader_unit_id(request.user)
        if unit_id is not None:
            return redirect("stakeholders:unit_detail", unit_id)
    elif role == Role.BRM:
        return redirect("health:my_relationships")
    elif role in {Role.EXECUTIVE, Role.ADMIN}:
        return redirect("health:dashboard")
    elif role == Role.INTEGRATION:
        return redirect("swagger-ui")
    return render(request, "no_role.html", status=403)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database, no broker). 200 "ok".

    What a container or load balancer restarts on: a dependency being down is not a reason to
    restart the web server, and the web keeps working without the broker (see /readyz).
    """
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, per dependency: database, broker, worker heartbeat (brm.readiness).

    200 ``{"status": "ok", "checks": {...}}`` when all are fine, else 503 with
    ``"status": "unavailable"`` and each failing check's detail. Bounded: about 2 s at most even
    with a frozen broker. No login (a probe has none); it reveals no data, only states.
    """
    ok, report = readiness()
    return JsonResponse(report, status=200 if ok else 503)
