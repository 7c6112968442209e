"""Row tags of the relationship dashboard (issue 14): `{% watermelon_rows %}` and
`{% drop_items %}` write the watermelons table's rows and the drops list's items in one pass, as
templates/brm/dashboard.html's loops did with the score badge and sparkline includes, from
pieces looked up once per render.

A row of the watermelons table cost ~0.3-0.5 ms in the template (the sparkline's `json_script`
and aria-label, the reason, five `floatformat`s, the badge include, `{% url %}`): 4-8 ms of the
page. The output is the templates' own, byte for byte (tests/brm/test_health_rows.py compares
them in English and Spanish).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.contrib.auth import get_user_model
from django.utils.formats import get_format
from django.utils.html import escape, json_script
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import gettext

from brm.core.links import detail_url
from brm.core.rows import choice_labels, joined, number_text
from brm.core.templatetags.brm import person
from brm.health.models import HealthSnapshot

register = template.Library()

_WATERMELON_ROW = (
    "\n      <tr>\n"
    '        <td><a class="fw-semibold" href="{url}">{name}</a></td>\n'
    '        <td><span class="badge band-green">{delivery}</span></td>\n'
    '        <td><span class="badge band-red">{perception}</span>{change}{reason}</td>\n'
    "        <td>{badge}</td>\n"
    "        <td>{sparkline}</td>\n"
    "        <td>{brm}</td>\n"
    "      </tr>\n    "
)
_DROP_ITEM = (
    '<li class="list-group-item d-flex justify-content-between align-items-center">'
    '<a href="{url}">{name}</a><span>{badge} '
    '<span class="text-danger small fw-semibold">{trend}</span></span></li>'
)


class _Pieces:
    """What every row reads, looked up once per render in the active language: the unit health
    URL around an id, the band labels, the decimal mark and the words."""

    def __init__(self) -> None:
        self.bands = {
            value: escape(label) for value, label in choice_labels(HealthSnapshot, "band").items()
        }
        self.decimal_mark = str(get_format("DECIMAL_SEPARATOR"))
        self.no_data = escape(gettext("no data"))

    def url(self, unit_id: int) -> str:
        return escape(detail_url("health:unit_health", unit_id))

    def number(self, value: float | None, places: int) -> str:
        """`value|floatformat:places` in the active language (`number_text`)."""
        return number_text(value, places, self.decimal_mark)

    def badge(self, row: dict[str, Any]) -> str:
        """templates/brm/includes/score_badge.html for a row's band and score."""
        band = row["band"]
        score = self.number(row["score"], 0) if row["score"] is not None else self.no_data
        label = self.bands.get(band, escape(band))
        return (
            f'\n<span class="badge score-badge band-{escape(band)}">{score} '
            f'<span class="small">{label}</span></span>\n'
        )


@register.simple_tag
def watermelon_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    """One `<tr>` per watermelon row of `brm.health.dashboard.featured_rows`, as the dashboard's
    loop wrote them: the unit, delivery and perception with its change and reason, the score
    badge, the sparkline (rows with `points`) and the BRM ("unassigned" for none)."""
    pieces = _Pieces()
    previous = escape(gettext("on the previous window"))
    unassigned = escape(gettext("unassigned"))
    trend_for, from_, to = (escape(gettext(word)) for word in ("Score trend for", ": from", "to"))

    def sparkline(row: dict[str, Any]) -> str:
        points = row["points"]
        if not points:
            return ""
        name = row["unit__name"]
        data_id = slugify(f"spark-wm-{name}")
        first, last = pieces.number(points[0]["s"], 0), pieces.number(points[-1]["s"], 0)
        return (
            f"\n\n{json_script(points, data_id)}"
            f'<canvas class="sparkline" data-chart="sparkline" data-source="{escape(data_id)}" '
            f'width="120" height="30" role="img" aria-label="{trend_for} {escape(name)}{from_} '
            f'{first} {to} {last}"></canvas>\n'
        )

    def change(row: dict[str, Any]) -> str:
        value = row["perception_change"]
        if not value:
            return ""
        tone = "text-danger" if value < 0 else "text-body-secondary"
        sign = "+" if value > 0 else ""
        return f' <span class="small {tone}">{sign}{pieces.number(value, 0)} {previous}</span>'

    def brm(row: dict[str, Any]) -> str:
        if row["unit__brm_id"] is None:
            return unassigned
        return escape(
            person(
                get_user_model()(
                    first_name=row["unit__brm__first_name"],
                    last_name=row["unit__brm__last_name"],
                    username=row["unit__brm__username"],
                )
            )
        )

    def row_html(row: dict[str, Any]) -> str:
        reason = row["reason"]
        return _WATERMELON_ROW.format(
            url=pieces.url(row["unit_id"]),
            name=escape(row["unit__name"]),
            delivery=pieces.number(row["delivery"], 0),
            perception=pieces.number(row["perception"], 0),
            change=change(row),
            reason=f'<div class="small text-body-secondary">{escape(reason)}</div>'
            if reason
            else "",
            badge=pieces.badge(row),
            sparkline=sparkline(row) if row["points"] else "\n\n\n",
            brm=brm(row),
        )

    return joined(row_html(row) for row in rows)


@register.simple_tag
def drop_items(rows: Iterable[dict[str, Any]]) -> SafeString:
    """One `<li>` per drop row of `brm.health.dashboard.featured_rows`, as the dashboard's loop
    wrote them: the unit, its score badge and its fall (one decimal)."""
    pieces = _Pieces()
    return joined(
        _DROP_ITEM.format(
            url=pieces.url(row["unit_id"]),
            name=escape(row["unit__name"]),
            badge=pieces.badge(row),
            trend=pieces.number(row["trend"], 1),
        )
        for row in rows
    )


@register.simple_tag
def history_rows(points: Iterable[dict[str, Any]]) -> SafeString:
    """One `<tr>` per point of `brm.health.selectors.unit_history` (oldest first), as the unit
    health page's "Figures" loop wrote them: the ISO date, then score, perception and delivery
    as whole numbers ("" where there is none). A year of daily points took ~3 ms in the loop
    (three `floatformat`s a row); written here in one pass."""
    # Whole numbers have no decimal mark: nothing of the language is read.
    return joined(
        f"<tr><td>{escape(p['d'])}</td><td>{number_text(p['s'])}</td>"
        f"<td>{number_text(p['p'])}</td><td>{number_text(p['dl'])}</td></tr>"
        for p in points
    )
