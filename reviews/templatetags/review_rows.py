"""Row tags of the service reviews page (issue 14): `{% review_rows %}` and
`{% schedule_rows %}` write a table's rows in one pass, as the template's loops did, from pieces
looked up once per render (`brm.core.rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from brm.core.links import detail_url
from brm.core.rows import Badges, Dates, joined
from brm.core.templatetags.brm import person
from reviews.models import ServiceReview

register = template.Library()

_REVIEW_ROW = (
    '\n      <tr class="{late}">\n'
    '        <td><a href="{url}"><time datetime="{iso}">{when}</time></a></td>\n'
    "        <td>{unit}{brm}</td>\n"
    '        <td class="small">{services}</td>\n'
    "        <td>{badge}{overdue}</td>\n"
    "        <td>{changes}</td>\n"
    "        <td>{commitments}</td>\n"
    "      </tr>\n    "
)
_SCHEDULE_ROW = (
    '\n      <tr class="{late}">\n'
    '        <td><a href="{url}">{name}</a>{brm}</td>\n'
    "        <td>{cadence} {days}</td>\n"
    "        <td>{held}</td>\n"
    '        <td><time datetime="{due_iso}">{due}</time>\n'
    "          {unplanned}</td>\n"
    "        <td>{planned}</td>\n"
    '        <td class="text-end">{action}</td>\n'
    "      </tr>\n    "
)


@register.simple_tag
def review_rows(reviews: Iterable[ServiceReview], is_it_side: bool) -> SafeString:
    """One `<tr>` per review, as templates/reviews/review_list.html's loop wrote them (the
    unit's relationship manager under its name when `is_it_side`). Expects each review's unit
    and its BRM loaded, its services prefetched and the list's annotations (`overdue_now`,
    `open_changes`, `commitment_count`)."""
    dates = Dates()
    badges = Badges(ServiceReview)
    none = '<span class="text-body-secondary">—</span>'
    overdue = ' <span class="badge text-bg-danger">{}</span>'.format(escape(gettext("Overdue")))

    def row(r: Any) -> str:
        names = ", ".join(escape(s.name) for s in r.services.all())
        brm = (
            f'<div class="small text-body-secondary">{escape(person(r.unit.brm))}</div>'
            if is_it_side
            else ""
        )
        return _REVIEW_ROW.format(
            late="table-warning" if r.overdue_now else "",
            url=escape(r.get_absolute_url()),
            iso=dates.iso(r.scheduled_at),
            when=dates.weekday_day_time(r.scheduled_at),
            unit=escape(r.unit.name),
            brm=brm,
            services=names or none,
            badge=badges(r.status),
            overdue=overdue if r.overdue_now else "",
            changes=r.open_changes,
            commitments=r.commitment_count,
        )

    return joined(row(r) for r in reviews)


@register.simple_tag
def schedule_rows(units: Iterable[Any], role: str, editable_units: Any) -> SafeString:
    """One `<tr>` per unit of the review schedule, as templates/reviews/review_list.html's loop
    wrote them: the unit's relationship manager unless `role` is "brm", the plan/open buttons on
    `editable_units` (ids). Expects `reviews.selectors.with_review_schedule`'s annotations."""
    dates = Dates()
    days = escape(gettext("days"))
    never = '<span class="text-body-secondary">{}</span>'.format(escape(gettext("never")))
    not_yet = '<span class="text-body-secondary">{}</span>'.format(escape(gettext("not yet")))
    unplanned = '<span class="badge text-bg-danger">{}</span>'.format(
        escape(gettext("Overdue, not planned"))
    )
    open_planned = escape(gettext("Open planned review"))
    plan = escape(gettext("Plan review"))
    create = escape(reverse("reviews:review_create"))
    editable = editable_units or ()

    def row(u: Any) -> str:
        late = not u.next_planned_at and u.review_late
        planned_url = (
            escape(detail_url("reviews:review_detail", u.next_planned_id))
            if u.next_planned_at
            else ""
        )
        if u.last_held_at:
            last = u.last_held_at
            held = f'<time datetime="{dates.iso(last)}">{dates.day(last)}</time>'
        else:
            held = never
        action = ""
        if u.pk in editable:
            if u.next_planned_at:
                action = (
                    f'<a class="btn btn-sm btn-outline-secondary" href="{planned_url}">'
                    f"{open_planned}</a>"
                )
            else:
                action = (
                    f'<a class="btn btn-sm btn-outline-primary" href="{create}?unit={u.pk}">'
                    f"{plan}</a>"
                )
        return _SCHEDULE_ROW.format(
            late="table-danger" if late else "",
            url=escape(u.get_absolute_url()),
            name=escape(u.name),
            brm=(
                ""
                if role == "brm"
                else f' <span class="small text-body-secondary">· {escape(person(u.brm))}</span>'
            ),
            cadence=u.review_cadence_days,
            days=days,
            held=held,
            due_iso=dates.iso(u.next_due_at),
            due=dates.day(u.next_due_at),
            unplanned=unplanned if late else "",
            planned=(
                f'<a href="{planned_url}">{dates.day_time(u.next_planned_at)}</a>'
                if u.next_planned_at
                else not_yet
            ),
            action=action,
        )

    return joined(row(u) for u in units)
