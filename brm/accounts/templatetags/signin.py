"""`{{ field|styled }}`: an allauth form field's widget with the site's Bootstrap classes."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def styled(field: forms.BoundField) -> SafeString:
    """The widget with `form-check-input`, `form-select` or `form-control`, marked invalid
    (and described by its error) when the field has errors."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    css = f"{widget.attrs.get('class', '')} {css}".strip()
    attrs: dict[str, str | bool] = {"class": css}
    if field.errors:
        attrs["class"] = f"{css} is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    return field.as_widget(attrs=attrs)
