"""The inbox pages: /inbox/ (paginated, unread only with ?unread=1), mark one or all read (POST
with the CSRF token), and the bell's unread count, which the header loads through htmx so no
page pays for it. A notification that is not the user's answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from brm.core import inbox as service
from brm.core.htmx import HtmxHttpRequest, paginate, querystring_without, render_page
from brm.core.models import Notification


@login_required
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = service.inbox_for(request.user)
    if unread_only:
        items = items.unread()
    page = paginate(request, items)
    response = render_page(
        request,
        "core/inbox.html",
        {
            "page": page,
            "qs": querystring_without(request, "page"),
            "unread_only": unread_only,
            "unread": service.unread_count(request.user),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back(request: HttpRequest) -> str:
    # Back to the inbox page the form was on; only the inbox's own query string is kept.
    page = request.POST.get("page", "")
    unread = request.POST.get("unread") == "1"
    params = "&".join(
        p for p in (f"page={page}" if page.isdigit() else "", "unread=1" if unread else "") if p
    )
    return reverse("core:inbox") + (f"?{params}" if params else "")


@login_required
@require_POST
def inbox_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with ``open=1`` go on to the record it is about."""
    try:
        item = service.mark_read(request.user, pk)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc
    if request.POST.get("open") == "1" and item.link:
        return redirect(item.link)  # a site path: `site_path` never stores another host
    return redirect(_back(request))


@login_required
@require_POST
def inbox_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = service.mark_all_read(request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s notification marked read.", "%(count)s notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect(_back(request))


@require_GET
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The bell's unread count (one query), swapped into the header by htmx. Signed out (a
    session that expired while the page stayed open): 204, so htmx swaps nothing, rather than
    the login page squeezed into the bell."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    # No request context: the fragment needs no role flags, so the count is the only query.
    html = render_to_string("core/inbox_badge.html", {"unread": service.unread_count(request.user)})
    response = HttpResponse(html)
    add_never_cache_headers(response)
    return response
