"""The tags of the shell every signed-in page shares (templates/base.html), each drawing once
what depends only on code, role and settings (issue 14: the navigation's dozen URL reversals
and forty-odd translations were most of the shell's template time, about 0.6 ms of its 1 ms).

`{% navigation %}`: what the navigation shows depends on code and on the role, never on data:
the role and what follows from it (its label, `is_it_side`, a leader's unit id, staff or not:
from `brm.core.context_processors.roles` and the user), the active language, and where URLs
point (the script prefix and the URLconf). Those are the cache key (`NavKey`), and the fragment
(templates/includes/nav.html) is rendered from the key's values alone, without the request, so
it cannot show anything the key does not hold. What is the person's own (their names and the
log-out form's CSRF token, masked anew for each request) is filled in for every request,
escaped, at markers the fragment holds in their place.

`{% asset %}`: `{% static %}`'s URL, looked up once per path.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.context import Context
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from brm.core.roles import ROLE_LABELS, Role
from brm.core.templatetags.brm import person

register = template.Library()

SHARED = "includes/nav.html"
# The fragment's variables filled for each request, and the marker each stands as in the cache.
PER_REQUEST = ("person", "name", "csrf_input")
_MARKER = "\x00{}\x00"
_MARKERS = re.compile("\x00(" + "|".join(PER_REQUEST) + ")\x00")
# Fragments kept: one per role, language and (for leaders) unit; least recently used go first.
CACHED_FRAGMENTS = 512
CACHED_ASSETS = 64


@dataclass(frozen=True)
class NavKey:
    """Everything the shared navigation shows depends on.

    `role` (a `Role` value), `is_it_side`, `my_unit_id` and `is_staff` are its template's
    variables (with the role's label); `language`, `script_prefix` and `urlconf` are what
    `{% translate %}` and `{% url %}` read from the thread."""

    role: str
    is_it_side: bool
    my_unit_id: int | None
    is_staff: bool
    language: str | None
    script_prefix: str
    urlconf: str | None


def nav_key(context: Context) -> NavKey:
    """The key for a page's `context` (a RequestContext after `context_processors.roles`),
    in the thread's current language and URL settings."""
    user = context.get("user")
    return NavKey(
        role=str(context.get("role") or Role.NONE.value),
        is_it_side=bool(context.get("is_it_side")),
        my_unit_id=context.get("my_unit_id"),
        is_staff=bool(getattr(user, "is_staff", False)),
        language=get_language(),
        script_prefix=get_script_prefix(),
        urlconf=get_urlconf(),
    )


@lru_cache(maxsize=CACHED_FRAGMENTS)
def shared_part(key: NavKey) -> tuple[str, ...]:
    """The navigation rendered for `key`, split at the per-request markers: text, a name from
    `PER_REQUEST`, text, ..., text (odd positions are names).

    Renders in the thread's language and URLconf, which are the key's (the caller's `nav_key`
    read them just now)."""
    values: dict[str, Any] = asdict(key)
    values["role_label"] = ROLE_LABELS[Role(key.role)]
    values.update({name: mark_safe(_MARKER.format(name)) for name in PER_REQUEST})
    return tuple(_MARKERS.split(get_template(SHARED).render(values).rstrip("\n")))


@lru_cache(maxsize=CACHED_ASSETS)
def _asset_url(path: str) -> str:
    return static(path)


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    # A test's override_settings may change what a fragment shows (URLs, languages, catalogues)
    # or where static files are.
    shared_part.cache_clear()
    _asset_url.cache_clear()


@register.simple_tag
def asset(path: str) -> str:
    """`{% asset 'css/app.css' %}`: the URL `{% static 'css/app.css' %}` gives (escaped the same
    way), looked up once per path and process: the storage answers the same until its settings
    change, and a manifest storage reads its manifest once per process anyway (a new one comes
    with a deploy, which restarts it). A missing file raises as `{% static %}` does, each time."""
    return _asset_url(path)


@register.simple_tag(takes_context=True)
def navigation(context: Context) -> SafeString:
    """`{% navigation %}`: the `<nav>` of a signed-in page, the cached fragment with the
    person's own values filled in as the template would write them (escaped)."""
    user = context["user"]
    filled = {
        "person": conditional_escape(person(user)),
        "name": conditional_escape(user.first_name or user.username),  # |default:username
        "csrf_input": CsrfTokenNode().render(context),  # what {% csrf_token %} writes
    }
    parts = shared_part(nav_key(context))
    return mark_safe(  # the fragment is template output; the values are escaped above
        "".join(filled[part] if i % 2 else part for i, part in enumerate(parts))
    )
