"""The language an email is written in (issue 17).

Pages speak the reader's language through the middleware; an email is rendered by a worker with
no request, so each builder asks `language_for(addresses)` and renders inside
`translation.override(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q

from brm.core.models import UserPreference


def language_for(addresses: Iterable[str]) -> str:
    """The language code to write to `addresses` in: the language their accounts chose
    (`UserPreference.language`) when every address belongs to an account and all chose the
    same one; otherwise the site's (``settings.LANGUAGE_CODE``), the one every reader shares.
    Addresses match accounts case-insensitively. One query."""
    wanted = {a.strip().lower() for a in addresses if a and a.strip()}
    if not wanted:
        return settings.LANGUAGE_CODE
    match = Q()
    for address in wanted:
        match |= Q(user__email__iexact=address)
    rows = UserPreference.objects.filter(match, user__is_active=True).values_list(
        "user__email", "language"
    )
    chosen = {email.lower(): language for email, language in rows}
    languages = {chosen.get(address) or "" for address in wanted}
    if len(languages) == 1 and (language := languages.pop()):
        return language
    return settings.LANGUAGE_CODE
