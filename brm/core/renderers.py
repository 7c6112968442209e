"""The form renderer: Django's templates, with the widgets every form draws built in Python.

Django renders a `<select>` through one template include per `<option>` (plus one for its
attributes); a form offering the IT staff and a unit's stakeholders in a few selects spent most
of the unit page's time there (issue 14: 25 ms of 70 ms). `FastWidgetRenderer` writes exactly
what Django's own `select.html`, `select_option.html`, `input.html` and `input_option.html`
write, byte for byte (tests/core/test_renderers.py compares them), with the same escaping, and
hands every other template to Django unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# Templates whose whole content is `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = {
    WIDGETS + name + ".html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
}
OPTION_TEMPLATES = {WIDGETS + "input_option.html", WIDGETS + "checkbox_option.html"} | {
    WIDGETS + "radio_option.html"
}


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: safe input stays as it is."""
    if isinstance(value, SafeData):
        return str(value)
    return escape(f"{value}")


def _attrs(attrs: Mapping[str, Any]) -> str:
    """Django's `attrs.html`: ` name="value"`, a bare ` name` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _input_option(widget: Mapping[str, Any]) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    widget_id = widget["attrs"].get("id")
    label_for = f' for="{conditional_escape(widget_id)}"' if widget_id else ""
    # The included input.html keeps its closing line break.
    return f"<label{label_for}>{_input(widget)}\n {conditional_escape(widget['label'])}</label>"


def _option(widget: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_text(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{conditional_escape(widget['label'])}</option>"
    )


def _select(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        # Each included select_option.html keeps its closing line break.
        parts.extend(f"\n  {_option(option)}\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


BUILT_IN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    WIDGETS + "select.html": _select,
    WIDGETS + "select_option.html": _option,
    **dict.fromkeys(INPUT_TEMPLATES, _input),
    **dict.fromkeys(OPTION_TEMPLATES, _input_option),
}


class FastWidgetRenderer(DjangoTemplates):
    """`FORM_RENDERER`: Django's template renderer with the common widgets built in Python."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        build = BUILT_IN.get(template_name)
        if build is None:
            return super().render(template_name, context, request=request)
        return mark_safe(build(context["widget"]))  # every value above is escaped
