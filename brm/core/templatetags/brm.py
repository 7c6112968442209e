"""Template filters used across apps."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from brm.core.badges import tone_of

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


@register.simple_tag
def status_badge(obj: object, field: str = "status", **attrs: str) -> SafeString:
    """`{% status_badge demand %}`: `<span class="badge tone-…">Label</span>` for obj.<field>.

    The tone comes from the one mapping `brm.core.badges.STATUS_TONES` (key "app.model.field");
    the label from `get_<field>_display()`, else `<field>_label`, else the value. `extra="…"` adds
    classes, `id="…"` an id."""
    value = getattr(obj, field, "")
    meta = getattr(obj, "_meta", None)
    key = f"{meta.label_lower}.{field}" if meta is not None else field
    display = getattr(obj, f"get_{field}_display", None)
    label = display() if callable(display) else getattr(obj, f"{field}_label", value)
    classes = f"badge tone-{tone_of(key, value)} {attrs.get('extra', '')}".strip()
    if attrs.get("id"):
        return format_html('<span class="{}" id="{}">{}</span>', classes, attrs["id"], label)
    return format_html('<span class="{}">{}</span>', classes, label)
