"""The sponsor's page for confirming realised benefits, reached through the signed single-use
link of the attestation email: no login (most sponsors have none)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from brm.core.errors import InputError, StateConflict
from portfolio.services import attestation as service


@never_cache
@require_http_methods(["GET", "POST"])
def attestation_answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the figures; POST confirms the ticked ones once. A forged token: 404; a used
    link: 410; a demand no longer delivered: 409; no or unknown figures: 400."""
    att = service.attestation_for_token(token)
    if att is None:
        return render(
            request, "portfolio/attestation_answer.html", {"state": "unknown"}, status=404
        )
    demand = att.demand
    context: dict[str, object] = {
        "attestation": att,
        "demand": demand,
        "records": list(demand.benefit_records.all()),
        "currency": settings.BRM_CURRENCY,
        "state": "used" if att.answered_at is not None else "open",
    }
    if att.answered_at is not None:
        return render(request, "portfolio/attestation_answer.html", context, status=410)
    if request.method == "POST":
        try:
            ids = [int(i) for i in request.POST.getlist("records")]
            context["confirmed"] = service.confirm_by_link(att, ids)
        except service.LinkUsed:
            context["state"] = "used"
            return render(request, "portfolio/attestation_answer.html", context, status=410)
        except (InputError, ValueError) as exc:
            context["error"] = getattr(exc, "message", "Unknown benefit record.")
            return render(request, "portfolio/attestation_answer.html", context, status=400)
        except StateConflict as exc:
            context["error"] = str(exc)
            return render(request, "portfolio/attestation_answer.html", context, status=409)
        context["state"] = "done"
    response = render(request, "portfolio/attestation_answer.html", context)
    # The link is a credential: keep it out of caches and search engines. The site-wide
    # "same-origin" referrer policy keeps it from other sites; "no-referrer" here made browsers
    # send `Origin: null` with the form, which Django's CSRF check refuses (a 403 for every
    # sponsor; found by tests/browser/test_profile_and_attestation.py). As the survey page does.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
