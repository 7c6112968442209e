"""Row tags of the register's list pages (issue 14): `{% commitment_rows %}`,
`{% stakeholder_rows %}` and `{% unit_rows %}` write a table's rows in one pass, as the
templates' loops did, from pieces looked up once per render (`brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from brm.core.rows import Badges, Dates, choice_labels, joined
from stakeholders.models import OUTCOME_LABELS, ActionItem, Interaction

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


def _csrf_input(context: template.Context) -> SafeString:
    """What `{% csrf_token %}` writes in this context."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return SafeString("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


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
        "csrf": _csrf_input(context),
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
