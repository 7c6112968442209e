"""Row tags of the register's list pages (issue 14): `{% commitment_rows %}`,
`{% stakeholder_rows %}`, `{% unit_rows %}` and `{% map_rows %}` write a table's rows in one
pass, as the templates' loops did, from pieces looked up once per render (`brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode, querystring
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext

from brm.core.links import detail_url
from brm.core.rows import Badges, Dates, choice_labels, joined
from brm.core.templatetags.brm import person
from stakeholders.models import (
    OUTCOME_LABELS,
    ActionItem,
    BusinessUnit,
    Interaction,
    Stakeholder,
)
from stakeholders.selectors import MapCell

register = template.Library()

_COMMITMENT_ROW = (
    '\n      <tr id="commitment-{pk}" class="{late}">\n'
    '        <td><a href="{url}">{title}</a>{source}</td>\n'
    "        <td>{unit}</td>\n"
    '        <td>{owner} <span class="small text-body-secondary">({side})</span></td>\n'
    '        <td><time datetime="{due_iso}">{due}</time>{overdue}</td>\n'
    "        <td>{badge}</td>\n"
    '        <td class="text-end">\n'
    "          {done}\n"
    "        </td>\n"
    "      </tr>\n      "
)
# The loop around the `row` partial added this before and after each row.
_LOOP_BEFORE, _LOOP_AFTER = "\n      ", "\n    "
_DONE_FORM = (
    '\n          <form method="post" action="{action}" hx-post="{action}"'
    ' hx-target="#commitment-{pk}" hx-swap="outerHTML" class="m-0">\n'
    '            {csrf}<input type="hidden" name="next" value="{next}">\n'
    '            <button class="btn btn-sm btn-outline-success" type="submit" aria-label="{label}">'
    '<i class="bi bi-check2" aria-hidden="true"></i> {done}</button>\n'
    "          </form>\n          "
)


@register.simple_tag(takes_context=True)
def commitment_rows(
    context: template.Context, items: Iterable[ActionItem], editable_units: Any
) -> SafeString:
    """One `<tr>` per promise, as templates/stakeholders/action_list.html's `row` partial wrote
    it (wrapped in the whitespace its loop added), with a "Done" button on the open ones of
    `editable_units` (unit ids). Expects each item's unit, interaction and owners loaded."""
    dates = Dates()
    sides = choice_labels(ActionItem, "owner_side")
    kinds = choice_labels(Interaction, "kind")
    outcomes = Badges(ActionItem, "outcome", {k: str(v) for k, v in OUTCOME_LABELS.items()})
    request = context.get("request")
    pieces = {
        "csrf": CsrfTokenNode().render(context),  # what {% csrf_token %} writes
        "next": escape(request.get_full_path()) if request is not None else "",
        "done": escape(gettext("Done")),
    }
    overdue_word = escape(gettext("overdue"))
    mark_done = gettext("Mark “%(title)s” done")
    source = gettext("from %(kind)s on %(day)s")
    editable = editable_units or ()

    def row(item: ActionItem) -> str:
        late = item.is_overdue
        about = ""
        if item.interaction:
            meeting = item.interaction
            about = '<div class="small text-body-secondary">{}</div>'.format(
                source
                % {
                    "kind": escape(kinds.get(meeting.kind, meeting.kind).lower()),
                    "day": escape(dates.day_month(meeting.occurred_at)),
                }
            )
        overdue = ""
        if late:
            n = item.days_overdue
            days = ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
            overdue = (
                '<div class="small text-danger fw-semibold"><i class="bi bi-exclamation-triangle"'
                f' aria-hidden="true"></i> {days} {overdue_word}</div>'
            )
        done = ""
        if item.status == "open" and item.unit_id in editable:
            done = _DONE_FORM.format(
                action=escape(reverse("stakeholders:action_transition", args=[item.pk, "done"])),
                pk=item.pk,
                label=mark_done % {"title": escape(item.title)},
                **pieces,
            )
        return (
            _LOOP_BEFORE
            + _COMMITMENT_ROW.format(
                pk=item.pk,
                late="table-danger" if late else "",
                url=escape(item.get_absolute_url()),
                title=escape(item.title),
                source=about,
                unit=escape(item.unit.name),
                owner=escape(item.owner_name),
                side=escape(sides.get(item.owner_side, item.owner_side)),
                due_iso=item.due_date.isoformat(),
                due=dates.day(item.due_date),
                overdue=overdue,
                badge=outcomes(item.outcome),
                done=done,
            )
            + _LOOP_AFTER
        )

    return joined(row(item) for item in items)


_STAKEHOLDER_ROW = (
    '\n      <tr class="{quiet}">\n'
    '        <td><a href="{url}" class="fw-semibold">{name}</a>{inactive}'
    '<div class="small text-body-secondary">{job}</div></td>\n'
    '        <td><a href="{unit_url}">{unit}</a></td>\n'
    "        <td>{role}</td>\n"
    '        <td class="text-center">'
    '<span class="score score-{influence}">{influence}</span></td>\n'
    '        <td class="text-center">'
    '<span class="score score-{interest}">{interest}</span></td>\n'
    "        <td>{met}</td>\n"
    "      </tr>\n    "
)


@register.simple_tag
def stakeholder_rows(people: Iterable[Stakeholder]) -> SafeString:
    """One `<tr>` per stakeholder, as templates/stakeholders/stakeholder_list.html's loop wrote
    them. Expects each stakeholder's unit loaded and `last_met_at` annotated."""
    dates = Dates()
    roles = choice_labels(Stakeholder, "role_type")
    inactive = ' <span class="badge text-bg-secondary">{}</span>'.format(
        escape(gettext("inactive"))
    )
    not_yet = '<span class="text-body-secondary">{}</span>'.format(escape(gettext("not yet")))

    def row(s: Any) -> str:
        met = s.last_met_at
        return _STAKEHOLDER_ROW.format(
            quiet="" if s.active else "text-body-secondary",
            url=escape(s.get_absolute_url()),
            name=escape(s.name),
            inactive="" if s.active else inactive,
            job=escape(s.job_title),
            unit_url=escape(s.unit.get_absolute_url()),
            unit=escape(s.unit.name),
            role=escape(roles.get(s.role_type, s.role_type)),
            influence=escape(s.influence),
            interest=escape(s.interest),
            met=f'<time datetime="{dates.iso(met)}">{dates.day(met)}</time>' if met else not_yet,
        )

    return joined(row(s) for s in people)


_UNIT_ROW = (
    "\n      <tr>\n"
    '        <td><a href="{url}" class="fw-semibold">{name}</a>'
    ' <span class="badge text-bg-light border">{code}</span>{parent}</td>\n'
    "        <td>{brm}{deputy}</td>\n"
    '        <td class="text-end">{people}</td>\n'
    '        <td class="text-end">{open}</td>\n'
    '        <td class="text-end">{overdue}</td>\n'
    "        <td>{contact}</td>\n"
    "      </tr>\n    "
)


@register.simple_tag
def unit_rows(units: Iterable[BusinessUnit]) -> SafeString:
    """One `<tr>` per business unit, as templates/stakeholders/unit_list.html's loop wrote them.
    Expects each unit's parent, BRM and deputy loaded and `selectors.unit_list`'s counts."""
    small = '<div class="small text-body-secondary">{}</div>'
    in_parent = gettext("in %(parent)s")
    deputy = gettext("deputy %(name)s")
    nobody = escape(gettext("— nobody assigned"))
    overdue = escape(gettext("overdue"))
    ago = gettext("%(since)s ago")
    never = '<span class="text-warning-emphasis">{}</span>'.format(escape(gettext("never")))
    dates = Dates()

    def row(u: Any) -> str:
        contact = u.last_contact_at
        return _UNIT_ROW.format(
            url=escape(u.get_absolute_url()),
            name=escape(u.name),
            code=escape(u.code),
            parent=small.format(in_parent % {"parent": escape(u.parent.name)}) if u.parent else "",
            brm=escape(person(u.brm)) if u.brm else nobody,
            deputy=small.format(deputy % {"name": escape(person(u.deputy))}) if u.deputy else "",
            people=u.stakeholder_count,
            open=u.open_commitments,
            overdue=(
                f'<span class="badge text-bg-danger">{u.overdue_commitments} {overdue}</span>'
                if u.overdue_commitments
                else '<span class="text-body-secondary">0</span>'
            ),
            contact=(
                f'<time datetime="{dates.iso(contact)}" title="{dates.day(contact)}">'
                f"{ago % {'since': escape(timesince(contact))}}</time>"
                if contact
                else never
            ),
        )

    return joined(row(u) for u in units)


@register.simple_tag(takes_context=True)
def map_rows(context: template.Context, grid: Iterable[list[MapCell]]) -> SafeString:
    """The power/interest map's `<tr>`s, as templates/stakeholders/stakeholder_map.html's `grid`
    loops wrote them: each cell's count links to its people in the register (the context's
    `map_query`, else the request's filters, with the cell's scores, active only), its first
    names to their pages."""
    request = context.get("request")
    base: Any = context.get("map_query") or (request.GET if request is not None else {})
    register_url = escape(reverse("stakeholders:stakeholder_list"))
    influence_word = escape(gettext("Influence"))
    more_word = escape(gettext("more"))
    none = '<span class="visually-hidden">{}</span>'.format(escape(gettext("none")))

    def cell_html(cell: MapCell) -> str:
        if cell.count:
            query = querystring(
                context,
                base,
                influence=cell.influence,
                interest=cell.interest,
                active="true",
                page=None,
            )
            label = ngettext(
                "%(n)s stakeholder with influence %(influence)s and interest %(interest)s",
                "%(n)s stakeholders with influence %(influence)s and interest %(interest)s",
                cell.count,
            ) % {"n": cell.count, "influence": cell.influence, "interest": cell.interest}
            names = "".join(
                f'<li><a href="{escape(detail_url("stakeholders:stakeholder_detail", p["id"]))}">'
                f"{escape(p['name'])}</a></li>"
                for p in cell.people
            )
            more = (
                f'<li class="text-body-secondary">+{cell.more} {more_word}</li>'
                if cell.more
                else ""
            )
            body = (
                f'\n          <a class="map-count" href="{register_url}{escape(query)}"'
                f' aria-label="{label}">{cell.count}</a>\n'
                '          <ul class="map-names">\n'
                f"            {names}\n"
                f"            {more}\n"
                "          </ul>\n          "
            )
        else:
            body = none
        empty = "" if cell.count else " empty"
        return (
            f'\n        <td class="map-cell q-{cell.quadrant}{empty}">\n          {body}\n'
            "        </td>\n        "
        )

    return joined(
        '\n      <tr>\n        <th scope="row">'
        f"{influence_word} {row[0].influence}</th>\n        "
        + "".join(cell_html(cell) for cell in row)
        + "\n      </tr>\n    "
        for row in grid
    )
