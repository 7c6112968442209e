"""`{% complaint_rows rows is_it_side queue %}`: the complaint list's and queue's table rows,
written in one pass (issue 14; the pieces every row shares come from `brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext

from brm.core.rows import Badges, Dates, joined
from brm.core.templatetags.brm import person
from complaints.models import Complaint

register = template.Library()


@register.simple_tag
def complaint_rows(rows: Iterable[Complaint], is_it_side: bool, queue: bool) -> SafeString:
    """One `<tr>` per complaint, as templates/complaints/complaint_list.html's table wrote them:
    the unit column when `queue or is_it_side`, "handled by" when `is_it_side and not queue`.
    Expects each complaint's unit, service, complainant and handler loaded."""
    dates = Dates()
    severity, status = Badges(Complaint, "severity"), Badges(Complaint, "status")
    someone, nobody_yet = gettext("someone"), gettext("nobody yet")
    level_title = escape(gettext("Escalation level"))
    overdue = format_html(
        '<div class="small text-danger fw-semibold"><i class="bi bi-exclamation-triangle"'
        ' aria-hidden="true"></i> {}</div>',
        gettext("overdue"),
    )
    raised = gettext("raised by %(who)s %(since)s ago")
    handled = gettext("· handled by %(handler)s")
    level = gettext("L%(level)s")
    unit_column = queue or is_it_side
    handler_shown = is_it_side and not queue

    def row(c: Any) -> str:  # a Complaint annotated with `due_at` (the next deadline)
        late = c.is_overdue
        about = raised % {
            "who": escape(person(c.complainant, someone)),
            "since": escape(timesince(c.created_at)),
        }
        if c.service:
            about = format_html("{} · ", c.service.name) + about
        if handler_shown:
            about += " " + handled % {"handler": escape(person(c.handler, nobody_yet))}
        escalation: str = ""
        if c.escalation_level:
            escalation = format_html(
                ' <span class="badge text-bg-warning" title="{}">{}</span>',
                level_title,
                SafeString(level % {"level": c.escalation_level}),
            )
        due: str = "—"
        if c.due_at:
            due = format_html(
                '<time datetime="{}">{}</time>{}',
                dates.iso(c.due_at),
                dates.day_time(c.due_at),
                overdue if late else "",
            )
        return format_html(
            '\n      <tr id="complaint-{}" class="{}">\n'
            '        <td><a href="{}"><span class="text-body-secondary">{}</span> {}</a>\n'
            '          <div class="small text-body-secondary">{}</div></td>\n'
            "        {}\n"
            "        <td>{}</td>\n"
            "        <td>{}{}</td>\n"
            "        <td>{}</td>\n"
            "      </tr>\n    ",
            c.pk,
            "table-danger" if late else "",
            c.get_absolute_url(),
            c.reference,
            c.title,
            SafeString(about),
            format_html("<td>{}</td>", c.unit.name) if unit_column else "",
            severity(c.severity),
            status(c.status),
            escalation,
            due,
        )

    return joined(row(c) for c in rows)
