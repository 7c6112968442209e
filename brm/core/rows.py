"""What a list page's row tag looks up once per render instead of once per row (issue 14).

A list of 25 rows written with template tags paid, per row, for every variable lookup, filter,
`{% translate %}` and `{% status_badge %}`: about 3 ms of a page's 10-16 ms. The row tags
(`<app>/templatetags/<app>_rows.py`) write each row with `format_html` from pieces built here
once per render, in the active language and time zone:

- `Dates`: dates as the `date` filter writes them for the few formats the lists use, with the
  month and weekday names looked up once;
- `Badges`: `{% status_badge obj field %}`'s markup per value of a choice field, built once per
  value;
- `choice_labels`: a choice field's labels by value (what `get_<field>_display()` answers);
- `number_text`: a figure as `floatformat` writes it.

The output is the templates' own, byte for byte (tests/core/test_rows.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from brm.core.badges import tone_of


class Dates:
    """The `date` filter's output for the formats list rows use, bound to the active language
    and time zone when made (make one per render, never keep one across requests).

    Aware datetimes are shown in the current time zone (as templates do), dates as they are.
    Each method takes a `date`, a `datetime` or None (written "", as the filter does); the format
    it mirrors is in its docstring. The text is HTML-safe as it is (digits and the language's
    month and weekday names, escaped once here), so a row may write it unescaped."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        # Escaped once, not per row: what the filter writes through the template's autoescape.
        self.months = ("", *(escape(str(MONTHS_3[m]).title()) for m in range(1, 13)))
        self.weekdays = tuple(escape(str(WEEKDAYS_ABBR[d])) for d in range(7))

    def local(self, value: date) -> date:
        """`value` in the current time zone if it is an aware datetime, else itself."""
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone)
        return value

    def iso(self, value: date | None) -> str:
        """`|date:'c'` (ISO 8601, local time for a datetime)."""
        return "" if value is None else self.local(value).isoformat()

    def day_month(self, value: date | None) -> str:
        """`|date:"j M"`: "4 Mar"."""
        if value is None:
            return ""
        v = self.local(value)
        return f"{v.day} {self.months[v.month]}"

    def day(self, value: date | None) -> str:
        """`|date:"j M Y"`: "4 Mar 2026"."""
        if value is None:
            return ""
        v = self.local(value)
        return f"{v.day} {self.months[v.month]} {v.year:04d}"

    def day_time(self, value: datetime | None) -> str:
        """`|date:"j M Y, H:i"`: "4 Mar 2026, 09:30"."""
        if value is None:
            return ""
        v = self.local(value)
        assert isinstance(v, datetime)
        return f"{v.day} {self.months[v.month]} {v.year:04d}, {v.hour:02d}:{v.minute:02d}"

    def weekday_day_time(self, value: datetime | None) -> str:
        """`|date:"D j M Y, H:i"`: "Wed 4 Mar 2026, 09:30"."""
        if value is None:
            return ""
        v = self.local(value)
        assert isinstance(v, datetime)
        return f"{self.weekdays[v.weekday()]} {self.day_time(v)}"


def choice_labels(model: type[Model], field: str) -> dict[Any, str]:
    """{stored value: label in the active language} of `model.field`'s choices."""
    choices = model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
    return {value: str(label) for value, label in choices}


class Badges:
    """`{% status_badge obj field %}` per value of `model.field` (a choice field, or any field
    with `labels` given): `<span class="badge tone-…">Label</span>`, each value's built once.

    A value outside the labels shows itself, as `get_<field>_display()` does."""

    def __init__(
        self, model: type[Model], field: str = "status", labels: dict[Any, str] | None = None
    ) -> None:
        self.key = f"{model._meta.label_lower}.{field}"
        self.labels = choice_labels(model, field) if labels is None else labels
        self.built: dict[Any, SafeString] = {}

    def __call__(self, value: Any) -> SafeString:
        try:
            return self.built[value]
        except KeyError:
            label = self.labels.get(value, value)
            html = format_html(
                '<span class="badge tone-{}">{}</span>', tone_of(self.key, value), label
            )
            self.built[value] = html
            return html


def number_text(value: float | Decimal | None, places: int = 0, decimal_mark: str = ".") -> str:
    """`value|floatformat:places` for a float or None (""): rounded half up, no "-0", with
    `decimal_mark` (the language's DECIMAL_SEPARATOR) before the places and no grouping, so
    for figures below 1,000 such as scores (0-100) and their changes, without the filter's
    per-call localisation."""
    if value is None:
        return ""
    # repr: the float's shortest digits, as floatformat reads them
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    rounded = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{rounded if rounded else abs(rounded):f}"  # floatformat writes no "-0"
    return text.replace(".", decimal_mark) if places else text


def joined(rows: Iterable[str]) -> SafeString:
    """Rows already escaped (`format_html` output), as one safe string."""
    return SafeString("".join(rows))
