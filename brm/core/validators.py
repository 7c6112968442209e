"""Input rules every app applies the same way: single-line names and header-safe text, dates in
a sensible range, and the model's own rules checked before saving (`check_model`).

A name or title is one line of text. Control characters in it (CR and LF, NUL, TAB and the
other C0 codes, DEL, the C1 codes, and Unicode's line and paragraph separators) break whatever
the name later goes into: an email subject becomes two headers, a CSV row splits, a PDF or
calendar line is cut, PostgreSQL refuses NUL with a 500. `single_line` refuses them with a
per-field message; it is a model field validator on every name and title (so the admin,
ModelForms and ModelSerializers refuse them: HTTP 400 in the API) and `StyledFormMixin` adds it
to every single-line form field. Free text (descriptions, comments) keeps its line breaks and is
escaped where it goes: `header_text` for email headers, `brm.core.htmx.csv_response` for CSV.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext, gettext_lazy
from rest_framework import fields as drf

from brm.core.errors import InputError

# C0 controls (including TAB, CR, LF, NUL), DEL, C1 controls, LINE/PARAGRAPH SEPARATOR.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

SINGLE_LINE_MESSAGE = (
    "Use one line of plain text: line breaks, tabs and other control characters are not allowed."
)


@deconstructible
class SingleLineValidator:
    """Refuses a value containing any control character (see `CONTROL_CHARACTERS`).

    Raises `ValidationError` with code "control_characters". A deconstructible class (not a
    function) so migrations can name it."""

    message = SINGLE_LINE_MESSAGE
    code = "control_characters"

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLineValidator)

    def __hash__(self) -> int:
        return hash(self.code)


single_line = SingleLineValidator()


def header_text(value: str, limit: int = 250) -> str:
    """`value` made safe for one email header (a Subject built from user text): every run of
    control characters, line breaks included, becomes one space; trimmed to `limit` chars."""
    return re.sub(r"\s+", " ", CONTROL_CHARACTERS.sub(" ", value)).strip()[:limit]


# --- Dates: a sensible range everywhere --------------------------------------------------------

DATE_RANGE_MESSAGE = gettext_lazy("Give a date between %(first)s and %(last)s.")


def date_range() -> tuple[date, date]:
    """The first and last date any form, filter or API field accepts: years
    `settings.BRM_DATE_YEARS` (default 1900-2200). Year 1 or 9999 is a typo or an attack, and
    date arithmetic on it (a due date 90 days later) would overflow into a 500."""
    first, last = getattr(settings, "BRM_DATE_YEARS", (1900, 2200))
    return date(first, 1, 1), date(last, 12, 31)


# PostgreSQL stores offsets up to 15:59; real time zones span -12:00 to +14:00.
MAX_UTC_OFFSET = timedelta(hours=14)


@deconstructible
class DateInRangeValidator:
    """Refuses a date or datetime outside `date_range()` (code "date_range"), and a datetime
    whose UTC offset is beyond +-14:00 (code "utc_offset"), which no time zone has."""

    code = "date_range"

    def __call__(self, value: object) -> None:
        if isinstance(value, datetime):
            offset = value.utcoffset()
            if offset is not None and abs(offset) > MAX_UTC_OFFSET:
                raise ValidationError(
                    gettext("Give a UTC offset between -14:00 and +14:00."), code="utc_offset"
                )
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:
            return
        first, last = date_range()
        if not first <= day <= last:
            raise ValidationError(
                DATE_RANGE_MESSAGE % {"first": first.isoformat(), "last": last.isoformat()},
                code=self.code,
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateInRangeValidator)

    def __hash__(self) -> int:
        return hash(self.code)


date_in_range = DateInRangeValidator()


def bound_dates(fields: Iterable[object]) -> None:
    """Adds `date_in_range` to every date and datetime field among `fields` (Django form
    fields or DRF serializer fields), once; the one policy forms, filters and the API share."""
    for field in fields:
        if isinstance(
            field, (forms.DateField, forms.DateTimeField, drf.DateField, drf.DateTimeField)
        ):
            validators = field.validators
            if date_in_range not in validators:
                field.validators = [*validators, date_in_range]


# --- Model rules checked before saving ---------------------------------------------------------


def check_model(
    instance: models.Model,
    *,
    exclude: Collection[str] = (),
    constraints_exclude: Collection[str] | None = (),
    unique: bool = True,
) -> None:
    """`instance.full_clean()`, with the database's own rules (unique and check constraints)
    checked on `constraints_exclude` (None: every constraint) instead of `exclude`.

    Raises Django's `ValidationError` with every message per field, as `full_clean` does. The
    API's model serializers call it before saving (400 per field) and services that fill in
    values call `validate_model`, so a value PostgreSQL would refuse never reaches it. With
    `unique=False` (a caller that updates the existing record on a clash, an upsert) unique
    fields and unique constraints are not checked."""
    errors: dict[str, list[ValidationError]] = {}
    skip = set(exclude)
    steps: tuple[Callable[[], None], ...] = (
        lambda: instance.clean_fields(exclude=skip),
        instance.clean,
        lambda: instance.validate_unique(exclude=skip) if unique else None,
        lambda: _validate_constraints(
            instance, None if constraints_exclude is None else set(constraints_exclude), unique
        ),
    )
    for step in steps:
        try:
            step()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _validate_constraints(instance: models.Model, exclude: set[str] | None, unique: bool) -> None:
    """`Model.validate_constraints`, with each broken check constraint's message put on the
    fields it names (Django puts it on no field), and unique constraints left out when
    `unique` is False."""
    errors: dict[str, list[ValidationError]] = {}
    for constraint in instance._meta.constraints:
        if not unique and isinstance(constraint, models.UniqueConstraint):
            continue
        try:
            constraint.validate(type(instance), instance, exclude=exclude)
        except ValidationError as exc:
            named = _constraint_fields(instance, constraint)
            if named and not hasattr(exc, "error_dict"):
                exc = ValidationError(dict.fromkeys(named, exc.messages))
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _constraint_fields(instance: models.Model, constraint: models.BaseConstraint) -> list[str]:
    """The model fields a check constraint's condition names, in the model's field order."""
    condition = getattr(constraint, "condition", None)
    if not isinstance(constraint, models.CheckConstraint) or not isinstance(condition, models.Q):
        return []
    names = {name.split("__")[0] for name in condition.referenced_base_fields}
    return [f.name for f in instance._meta.concrete_fields if f.name in names]


def validate_model(instance: models.Model, *, exclude: Collection[str] = ()) -> None:
    """For services: `check_model` on the record they are about to save (every constraint),
    raising `brm.core.errors.InputError` for the first field refused (API: 400 on that field;
    pages show it next to the field), "__all__" becoming "detail"."""
    try:
        check_model(instance, exclude=exclude, constraints_exclude=None)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InputError("detail" if field == NON_FIELD_ERRORS else field, messages[0]) from exc
