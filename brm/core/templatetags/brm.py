"""Template filters used across apps."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from html import escape as html_escape
from typing import Any

from django import template
from django.conf import settings
from django.forms import BoundField
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from brm.core.badges import tone_of
from brm.core.chart_names import app_chart_names as _app_chart_names

register = template.Library()


@register.filter
def person(user: object, empty: str | None = None) -> str:
    """A user's full name, else their username; `empty` ("nobody", translated) when there is
    nobody."""
    if user is None or user == "":
        return str(_("nobody")) if empty is None else empty
    full = getattr(user, "get_full_name", lambda: "")()
    return full or getattr(user, "username", str(user))


@register.filter
def get_item(mapping: object, key: object) -> object:
    """`{{ dict|get_item:key }}` for keys that are variables."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.simple_tag
def app_chart_names() -> SafeString:
    """`{% app_chart_names %}`: the names static/js/app.js gives its charts' series, in the
    active language, as a `json_script` element with id "chart-names" (brm.core.chart_names).
    Once per page, beside the chart's data."""
    return json_script(_app_chart_names(), "chart-names")


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


@register.simple_tag
def choice_options(bound_field: BoundField, label: str = "name") -> SafeString:
    """`{% choice_options filter.form.unit %}`: one `<option value="pk">name</option>` per row
    of a model choice field's queryset (in its order), the submitted one `selected`.

    Built in one pass over (pk, label) pairs: the template loop it replaces asked the filter
    form for the submitted value once per row and loaded whole rows, most of a list page's time
    with 2,000 units in the filter (issue 14). Names go through the standard library's
    `html.escape`, which is what Django's `escape` calls, without its lazy-string wrapper and a
    SafeString per name (a few hundred per page)."""
    value = bound_field.value()
    chosen = "" if value is None else str(value)
    queryset = getattr(bound_field.field, "queryset", None)
    rows = queryset.values_list("pk", label) if queryset is not None else []
    return SafeString(  # the name is escaped, the pk is a number
        "".join(
            f'<option value="{pk}" {"selected" if str(pk) == chosen else ""}>'
            f"{html_escape(str(name))}</option>"
            for pk, name in rows
        )
    )


@register.simple_tag
def person_options(users: Iterable[Any], selected: object) -> SafeString:
    """`{% person_options brms brm %}`: one `<option value="pk">Full name</option>` per user
    (`person`: the full name, else the username), `selected` on the one whose pk is the
    submitted value (a string, or None/"" for none), written in one pass: the template loop it
    replaces ran a filter and a comparison per option, a few ms for a dashboard's 84 BRMs at
    2,000 units (issue 14)."""
    return select_options(((u.pk, person(u)) for u in users), selected)


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, Any]], selected: object) -> SafeString:
    """`{% select_options filter.form.status.field.choices filter.form.status.value %}`: one
    `<option value="v" selected>Label</option>` per choice (`selected` on the submitted ones,
    `<option value="v" >Label</option>` otherwise, as the loops it replaces wrote them), in the
    active language, written in one pass.

    `selected` is the submitted value (a string, or None for none) or, for a multiple select, a
    list of them; values compare as strings. The blank choice (value "" or None, the filter's
    "---------") is left out: each template writes its own first option ("Any role", "Any").
    The loops it replaces read the submitted value from the filter form once per option."""
    if isinstance(selected, list | tuple):
        chosen = {str(value) for value in selected}
    else:
        chosen = set() if selected is None else {str(selected)}
    return format_html_join(
        "",
        '<option value="{}" {}>{}</option>',
        (
            (value, "selected" if str(value) in chosen else "", label)
            for value, label in choices
            if value is not None and value != ""
        ),
    )


CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF ", "JPY": "¥"}
# Languages that write the currency after the amount, a no-break space between ("1.234,50 €").
SIGN_AFTER_AMOUNT = frozenset({"es"})


@register.filter
def money(value: object, currency: object = "") -> str:
    """`{{ amount|money:currency }}` -> "€3,570,000" (or "€1,234.50" with cents); in Spanish
    "3 570 000 €" (the language's marks, the sign after the amount: `SIGN_AFTER_AMOUNT`).

    Grouping and decimal marks follow the active locale (`number_format` with grouping forced);
    the currency is the site's one currency, `settings.BRM_CURRENCY` (a code given as the
    argument overrides it, for a caller that has amounts in another); a code without a sign is
    written before the number ("SEK 12,000"). None or "" gives "—". CSV exports do not use
    this: they keep raw numbers.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    code = str(currency or settings.BRM_CURRENCY).upper()
    places = 0 if amount == amount.to_integral_value() else 2
    number = number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    sign = CURRENCY_SIGNS.get(code, f"{code} ")
    if (get_language() or "").split("-")[0] in SIGN_AFTER_AMOUNT:
        return f"{number}\N{NO-BREAK SPACE}{sign.strip()}"
    return f"-{sign}{number.lstrip('-')}" if amount < 0 else f"{sign}{number}"


@register.filter
def count(value: object) -> str:
    """`{{ n|count }}` -> "12,500": a whole number with the locale's grouping."""
    if value is None or value == "":
        return "—"
    try:
        return number_format(int(Decimal(str(value))), use_l10n=True, force_grouping=True)
    except (InvalidOperation, ValueError):
        return str(value)
