"""Filter pieces shared by every list's FilterSet (issue 15: filters that did not filter).

`FlagFilter` is the one way a yes/no filter reads the query string. django-filter's
BooleanFilter only understood "true"/"false" (and "2"/"3"), so `/units/?mine=1` was ignored
while the page showed the box ticked; a flag here reads every usual spelling and the page ticks
the box from the filter's own cleaned value, never from the raw query string.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db import models

TRUE = frozenset({"1", "true", "on", "yes", "y", "t"})
FALSE = frozenset({"0", "false", "off", "no", "n", "f"})


class FlagWidget(forms.NullBooleanSelect):
    """Reads "1/true/on/yes" as True, "0/false/off/no" as False, anything else as unset."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool | None:
        value = data.get(name)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if value is not None else ""
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        return None


class FlagFilter(filters.BooleanFilter):
    """A yes/no filter (`?mine=1`, `?overdue=true`, `?mine=on` from a plain checkbox)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", FlagWidget)
        super().__init__(*args, **kwargs)


# For a FilterSet's `FILTER_DEFAULTS`: filters generated from `Meta.fields` for a model's
# BooleanField read flags the same way as declared ones.
FILTER_DEFAULTS: dict[Any, dict[str, Any]] = {
    **filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
    models.BooleanField: {"filter_class": FlagFilter},
}
