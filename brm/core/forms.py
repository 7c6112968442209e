"""Form helpers shared by the apps."""

from __future__ import annotations

from django import forms

CHECKABLE = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)


class StyledFormMixin:
    """Give widgets Bootstrap's classes so templates can render fields generically."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, CHECKABLE):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
