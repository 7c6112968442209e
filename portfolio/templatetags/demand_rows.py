"""`{% demand_rows rows is_it_side currency %}`: the ranked demand table's rows, written in one
pass (issue 14; the pieces every row shares come from `brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from brm.core.rows import Badges, joined
from brm.core.templatetags.brm import money, person
from portfolio.models import Demand

register = template.Library()

_ROW = (
    '\n      <tr id="demand-{pk}">\n'
    "        <td>{position}{moved}</td>\n"
    '        <td><a href="{url}"><span class="text-body-secondary">{reference}</span> {title}</a>\n'
    "          {override}</td>\n"
    "        {unit}\n"
    "        <td>{badge}</td>\n"
    '        <td class="text-end">{score}</td>\n'
    '        <td class="text-end">{benefit}</td>\n'
    '        <td class="text-end">{cost}</td>\n'
    '        <td class="text-end">{leakage}</td>\n'
    "      </tr>\n    "
)


@register.simple_tag
def demand_rows(demands: Iterable[Demand], is_it_side: bool, currency: str) -> SafeString:
    """One `<tr>` per demand, as templates/portfolio/demand_list.html's loop wrote them (the unit
    column when `is_it_side`), amounts in `currency`. Expects each demand's unit and
    `override_by` loaded, `position` numbered and the list's totals annotated."""
    badges = Badges(Demand)
    placed = escape(gettext("Placed by hand:"))
    moved = escape(gettext("moved"))
    someone = gettext("someone")
    asked = gettext("Moved by hand (asked for position %(position)s) by %(who)s")
    by_hand = gettext("Moved by hand by %(who)s")
    not_scored = '<span class="text-body-secondary">{}</span>'.format(escape(gettext("not scored")))

    def row(d: Any) -> str:
        # Numbered on the ranked view only (`selectors.number_board`); absent, it shows nothing.
        position = getattr(d, "position", None)
        override = moved_badge = ""
        if d.rank_override:
            who = escape(person(d.override_by, someone))
            if position and position != d.rank_override:
                said = asked % {"position": escape(localize(d.rank_override)), "who": who}
            else:
                said = by_hand % {"who": who}
            reason = escape(d.override_reason)
            override = f'<div class="small text-body-secondary">{said}: “{reason}”</div>'
            moved_badge = (
                f' <span class="badge text-bg-warning" title="{placed} {reason}">{moved}</span>'
            )
        return _ROW.format(
            pk=d.pk,
            position=escape(localize(position)) if position else "",
            moved=moved_badge,
            url=escape(d.get_absolute_url()),
            reference=escape(d.reference),
            title=escape(d.title),
            override=override,
            unit=f"<td>{escape(d.unit.name)}</td>" if is_it_side else "",
            badge=badges(d.status),
            score=(
                escape(localize(d.priority_score)) if d.priority_score is not None else not_scored
            ),
            benefit=(
                escape(money(d.expected_benefit, currency))
                if d.expected_benefit is not None
                else "—"
            ),
            cost=escape(money(d.estimated_cost, currency)) if d.estimated_cost is not None else "—",
            leakage=escape(money(d.leakage, currency)) if d.planned_total else "—",
        )

    return joined(row(d) for d in demands)
