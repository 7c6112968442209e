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
