"""Form helpers shared by the apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from brm.core.validators import single_line

CHECKABLE = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)


if TYPE_CHECKING:
    _FormBase = forms.BaseForm  # the mixin always precedes a Form or ModelForm
else:
    _FormBase = object


class StyledFormMixin(_FormBase):
    """Give widgets Bootstrap's classes so templates can render fields generically, and refuse
    control characters (line breaks, NUL, ...) in every single-line text field
    (`brm.core.validators.single_line`), whether or not a model field stands behind it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if (
                isinstance(field, forms.CharField)
                and isinstance(widget, forms.TextInput)
                and single_line not in field.validators
            ):
                field.validators = [*field.validators, single_line]
            if isinstance(widget, CHECKABLE):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def model_choice(self, name: str) -> forms.ModelChoiceField[Any]:
        """`model_choice(self, name)`, for forms that use the mixin."""
        return model_choice(self, name)


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The model choice field `name` of `form`, to narrow what it offers and accepts (its
    `queryset`). Raises TypeError when `name` is another kind of field (a programming error).
    """
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is a {type(field).__name__}, not a model choice field")
    return field
