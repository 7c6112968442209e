"""The search page, /search/?q=: grouped results, and the header's live search fragment.

The header's search box asks the same URL through htmx (``HX-Target: search-live``) and gets
the compact list; the page's own box swaps ``#search-results``; without JavaScript the box is a
plain GET form. Scope is decided by each app's selector, never by the template.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from brm.core.htmx import HtmxHttpRequest, render_page
from brm.core.search import MIN_QUERY_LENGTH, clean_query
from brm.search import KINDS, KINDS_BY_KEY, global_search

LIVE_LIMIT = 3  # hits per kind in the header's drop-down
PAGE_LIMIT = 5  # hits per kind on the grouped page
KIND_LIMIT = 50  # hits on the page of one kind (?kind=complaints)
LIVE_TARGET = "search-live"


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # A session that expired under an open page: htmx swaps nothing rather than the login
        # page into the header; a plain request goes to log in as everywhere.
        return (
            HttpResponse(status=204) if request.htmx else redirect_to_login(request.get_full_path())
        )
    text = clean_query(request.GET.get("q", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS_BY_KEY else ""
    live = bool(request.htmx) and request.htmx.target == LIVE_TARGET
    limit = LIVE_LIMIT if live else KIND_LIMIT if kind else PAGE_LIMIT
    groups = global_search(request.user, text, kinds=[kind] if kind else (), limit=limit)
    response = render_page(
        request,
        "brm/search.html",
        {
            "q": request.GET.get("q", "")[:200],
            "text": text,
            "kind": KINDS_BY_KEY.get(kind),
            "kinds": KINDS,
            "groups": groups,
            "total": sum(g.results.total for g in groups),
            "min_length": MIN_QUERY_LENGTH,
        },
        partial="live" if live else "results",
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
