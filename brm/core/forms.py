"""Form helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms.models import ModelChoiceIteratorValue
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from brm.core.models import VersionedModel
from brm.core.validators import bound_dates, single_line

CHECKABLE = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)


if TYPE_CHECKING:
    _FormBase = forms.BaseForm  # the mixin always precedes a Form or ModelForm
else:
    _FormBase = object


VERSION_FIELD = "version"


@dataclass(frozen=True)
class StaleChange:
    """One field where the user's entry differs from what is saved now (both as shown)."""

    name: str
    label: str
    yours: str
    saved: str


class VersionedFormMixin(_FormBase):
    """An edit form of a `VersionedModel` record posts back the version it was opened at, and
    a form opened before someone else's save is refused instead of overwriting it.

    A ModelForm tracks its `instance` by itself; a plain form that edits a record calls
    `self.track_version(record)` in `__init__`. That adds the hidden field `version` (render it
    with `{% include "includes/stale_version.html" %}`, which also shows the refusal).

    When the posted version is not the record's (as the view loaded it), the form is invalid:
    a non-field error (code "stale") says so, `stale_changes` lists each field where the user's
    entry differs from what is saved now (`StaleChange`: label, yours, saved), the user's input
    stays in the form, and the hidden field now holds the current version, so saving again
    re-applies the entries over the current version. A valid form saves through
    `VersionedModel.save`, whose conditional UPDATE catches a save that lands in between
    (StaleVersion). A post without `version` (an older page, a script) is not checked here.
    """

    stale_changes: list[StaleChange] | None = None
    _versioned_record: VersionedModel | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if isinstance(instance, VersionedModel):
            self.track_version(instance)

    def track_version(self, record: VersionedModel) -> None:
        """Carry `record`'s version in the form (nothing for a record not yet stored)."""
        if record.pk is None or record._state.adding:
            return
        self._versioned_record = record
        self.fields[VERSION_FIELD] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=record.version
        )

    def full_clean(self) -> None:
        super().full_clean()
        record = self._versioned_record
        if record is None or not self.is_bound:
            return
        # The version is the form's own business: views pass `cleaned_data` on to services.
        getattr(self, "cleaned_data", {}).pop(VERSION_FIELD, None)
        raw = str(self.data.get(self.add_prefix(VERSION_FIELD), "") or "").strip()
        if not raw.isdigit() or int(raw) == record.version:
            return
        current = type(record)._base_manager.filter(pk=record.pk).first()
        if current is None:
            self.add_error(
                None,
                ValidationError(
                    _("This record was deleted after you opened it; nothing was saved."),
                    code="stale",
                ),
            )
            self.stale_changes = []
            return
        self.stale_changes = self._changes_against(current)
        self.add_error(
            None,
            ValidationError(
                _(
                    "Someone else saved this record after you opened it, so nothing was saved. "
                    "Your entries are kept: check them against what is saved now and save "
                    "again to apply them."
                ),
                code="stale",
            ),
        )
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
        data[self.add_prefix(VERSION_FIELD)] = str(current.version)
        self.data = data  # the re-shown form carries the current version: saving re-applies

    def _changes_against(self, current: models.Model) -> list[StaleChange]:
        changes = []
        cleaned = getattr(self, "cleaned_data", {})
        for name, field in self.fields.items():
            if name == VERSION_FIELD:
                continue
            try:
                saved = _model_value(current, name)
            except FieldDoesNotExist:
                continue
            if name in cleaned:
                yours = cleaned[name]
            elif isinstance(field, forms.MultipleChoiceField) and hasattr(self.data, "getlist"):
                yours = self.data.getlist(self.add_prefix(name))
            else:
                yours = self.data.get(self.add_prefix(name), "")
            if _same(yours, saved):
                continue
            changes.append(
                StaleChange(
                    name=name,
                    label=str(field.label or name.replace("_", " ").capitalize()),
                    yours=_shown(field, yours),
                    saved=_shown(field, saved),
                )
            )
        return changes


def _model_value(record: models.Model, name: str) -> Any:
    """The stored value of `record`'s field `name`: related objects for relations."""
    field = record._meta.get_field(name)
    if field.many_to_many:
        return list(getattr(record, name).all())
    return getattr(record, name)


def _key(value: Any) -> Any:
    if isinstance(value, models.Model):
        return (type(value)._meta.label, value.pk)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        return frozenset(_key(v) for v in value)
    return value


def _same(a: Any, b: Any) -> bool:
    empty = (None, "")
    if a in empty and b in empty:
        return True
    return bool(_key(a) == _key(b))


def _shown(field: forms.Field, value: Any) -> str:
    """A value as the form would show it: choice labels, names, local dates, "—" for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset, models.QuerySet)):
        return ", ".join(sorted(_shown(field, v) for v in value)) or "—"
    choices = getattr(field, "choices", None)
    if choices is not None and not isinstance(field, forms.ModelChoiceField):
        labels = {str(k): str(v) for k, v in field.choices}  # type: ignore[attr-defined]
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, datetime):
        return str(
            formats.localize(timezone.localtime(value) if timezone.is_aware(value) else value)
        )
    if isinstance(value, date):
        return str(formats.localize(value))
    return str(value)


class StyledFormMixin(VersionedFormMixin):
    """Give widgets Bootstrap's classes so templates can render fields generically, and refuse
    control characters (line breaks, NUL, ...) in every single-line text field
    (`brm.core.validators.single_line`), whether or not a model field stands behind it. An edit
    form of a versioned record carries its version (`VersionedFormMixin`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A ModelForm's fields also get their model field's validators (a review's 15-480
        # minutes, the column's range), so a form saved through a service instead of
        # `_post_clean` refuses what the API refuses; dates stay in the kernel's range.
        model_fields = _model_fields(self)
        bound_dates(self.fields.values())
        for name, field in self.fields.items():
            widget = field.widget
            model_validators(field, model_fields.get(name))
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


def _model_fields(form: forms.BaseForm) -> dict[str, models.Field[Any, Any]]:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is None:
        return {}
    return {f.name: f for f in model._meta.concrete_fields}


def model_validators(field: forms.Field, model_field: models.Field[Any, Any] | None) -> None:
    """Adds `model_field`'s validators (its own and the column's range) to the form `field`,
    each once, when both hold the same kind of value (numbers, or text): a form field the form
    declares for something else under the same name keeps its own rules."""
    numbers = (models.IntegerField, models.DecimalField, models.FloatField)
    number_fields = (forms.IntegerField, forms.DecimalField, forms.FloatField)
    if model_field is None or not (
        (isinstance(model_field, numbers) and isinstance(field, number_fields))
        or (isinstance(model_field, models.CharField) and isinstance(field, forms.CharField))
    ):
        return
    extra = [v for v in model_field.validators if v not in field.validators]
    if extra:
        field.validators = [*field.validators, *extra]


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The model choice field `name` of `form`, to narrow what it offers and accepts (its
    `queryset`). Raises TypeError when `name` is another kind of field (a programming error).
    """
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is a {type(field).__name__}, not a model choice field")
    return field


def share_choices(fields: Sequence[forms.ModelChoiceField[Any]]) -> list[Any]:
    """Fill the choices of several select fields offering the same rows (the first field's
    `queryset`) from one evaluation of it: one query instead of one per field, where a form and
    its formset offer the same people several times. Each field keeps its own empty label and
    labels, and still validates a submitted value against its own `queryset`. Returns the rows.
    Raises ValueError when the first field has no queryset (a programming error)."""
    queryset = fields[0].queryset
    if queryset is None:
        raise ValueError("share_choices needs a field with a queryset first")
    rows = list(queryset)
    for field in fields:
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.choices = empty + [
            (
                ModelChoiceIteratorValue(field.prepare_value(row), row),
                field.label_from_instance(row),
            )
            for row in rows
        ]
    return rows
