"""`{% service_rows rows is_it_side %}`: the service catalogue's rows, written in one pass
(issue 14; the pieces every row shares come from `brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from brm.core.rows import Badges, joined
from brm.core.templatetags.brm import person
from portfolio.models import Service

register = template.Library()

_ROW = (
    "\n      <tr>\n"
    '        <td><a href="{url}">{name}</a></td>\n'
    "        <td>{badge}</td>\n"
    "        <td>{owner}</td>\n"
    "        <td>{availability} %</td>\n"
    "        <td>{workload}</td>\n"
    "        {units}\n"
    "        <td>{periods}</td>\n"
    "      </tr>\n    "
)


@register.simple_tag
def service_rows(services: Iterable[Service], is_it_side: bool) -> SafeString:
    """One `<tr>` per service, as templates/portfolio/service_list.html's loop wrote them (the
    consumer count when `is_it_side`). Expects each service's owner loaded and
    `portfolio.selectors.catalogue.service_list`'s figures (`consumer_count`, `periods`,
    `periods_met`) annotated."""
    badges = Badges(Service, "lifecycle")
    no_data = '<span class="text-body-secondary">{}</span>'.format(escape(gettext("no data")))

    def row(s: Any) -> str:
        workload = (
            f"{escape(localize(s.workload_limit))} {escape(s.workload_unit)}"
            if s.workload_limit
            else "—"
        )
        return _ROW.format(
            url=escape(s.get_absolute_url()),
            name=escape(s.name),
            badge=badges(s.lifecycle),
            owner=escape(person(s.owner, "—")),
            availability=floatformat(s.availability_target, "-3"),
            workload=workload,
            units=f"<td>{escape(localize(s.consumer_count))}</td>" if is_it_side else "",
            periods=(
                f"{escape(localize(s.periods_met))} / {escape(localize(s.periods))}"
                if s.periods
                else no_data
            ),
        )

    return joined(row(s) for s in services)
