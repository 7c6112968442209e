"""Project-level pages: each role's home and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from brm.core.roles import Role, leader_unit_id, role_of


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
    """Liveness for the load balancer and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
