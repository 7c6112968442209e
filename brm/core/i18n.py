"""The language an email is written in (issue 17).

Pages speak the reader's language through the middleware; an email is rendered by a worker with
no request, so each builder asks `language_for(addresses)` and renders inside
`translation.override(...)`.

What one person keeps (their in-app inbox item, an item held for their daily summary) is in
their own language even when the email went to several people in the site's: the delivery path
composes it again inside `writing_for(language)`, which makes every `language_for` answer that
language while it lasts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db.models import Q

from brm.core.models import UserPreference

_WRITING_FOR: ContextVar[str | None] = ContextVar("writing_for", default=None)


@contextmanager
def writing_for(language: str) -> Iterator[None]:
    """While it lasts, `language_for` answers `language` whatever the addresses (a composer run
    again for one reader, brm.core.delivery)."""
    token = _WRITING_FOR.set(language)
    try:
        yield
    finally:
        _WRITING_FOR.reset(token)


def languages_of(addresses: Iterable[str]) -> dict[str, str]:
    """{address (lower-cased): the language its account chose, else the site's}. One query."""
    wanted = {a.strip().lower() for a in addresses if a and a.strip()}
    if not wanted:
        return {}
    match = Q()
    for address in wanted:
        match |= Q(user__email__iexact=address)
    rows = UserPreference.objects.filter(match, user__is_active=True).values_list(
        "user__email", "language"
    )
    chosen = {email.lower(): language for email, language in rows if language}
    return {a: chosen.get(a) or settings.LANGUAGE_CODE for a in wanted}


def language_for(addresses: Iterable[str]) -> str:
    """The language code to write to `addresses` in: the language their accounts chose
    (`UserPreference.language`) when every address belongs to an account and all chose the
    same one; otherwise the site's (``settings.LANGUAGE_CODE``), the one every reader shares.
    Addresses match accounts case-insensitively. One query; none inside `writing_for`."""
    forced = _WRITING_FOR.get()
    if forced is not None:
        return forced
    return shared_language(languages_of(addresses).values())


def shared_language(languages: Iterable[str]) -> str:
    """The one language all of `languages` are (codes from `languages_of`), else the site's
    (``settings.LANGUAGE_CODE``, also for none)."""
    distinct = set(languages)
    return distinct.pop() if len(distinct) == 1 else settings.LANGUAGE_CODE
