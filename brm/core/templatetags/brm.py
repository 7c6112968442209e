"""Template filters used across apps."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def person(user: object, empty: str = "nobody") -> str:
    """A user's full name, else their username; `empty` when there is nobody."""
    if user is None or user == "":
        return empty
    full = getattr(user, "get_full_name", lambda: "")()
    return full or getattr(user, "username", str(user))


@register.filter
def get_item(mapping: object, key: object) -> object:
    """`{{ dict|get_item:key }}` for keys that are variables."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
