"""Row tags of the unit page (issue 14): `{% timeline_rows %}`, `{% key_people_rows %}` and
`{% open_promise_rows %}` write the timeline's entries and the side panels' lists in one pass,
as templates/stakeholders/unit_detail.html's loops did, byte for byte, from pieces looked up once
per render (`brm.core.rows`).

The timeline's entries come from every workflow app's `timeline_load`; this module reads them
as the template did (their fields, properties and `get_<field>_display()`), never their
models, so the floors hold (tests/test_layers.py). What one role may not see is decided where
the rows are loaded (a leader's meetings come without their private notes) and by the view's
`sees_analysis`, exactly as the template's conditions were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from brm.core.links import detail_url
from brm.core.rows import Badges, Dates, choice_labels, joined
from brm.core.templatetags.brm import person
from stakeholders.models import OUTCOME_LABELS, ActionItem, Interaction
from stakeholders.selectors import TimelineEntry

register = template.Library()

# What the template's `{% for entry in entries %}` loop wrote around each entry's own lines.
_ENTRY = (
    '\n        <li class="timeline-item timeline-{kind} card mb-2">\n'
    '          <div class="card-body py-2">\n'
    "          {body}\n"
    "          </div>\n"
    "        </li>\n        "
)
_MEETING = (
    '\n            <div class="d-flex justify-content-between flex-wrap gap-1">\n'
    '              <div><i class="bi bi-chat-dots" aria-hidden="true"></i> <strong>{kind}</strong>:'
    " {summary}</div>\n"
    "              {sentiment}\n"
    "            </div>\n"
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>\n'
    "              {attendees}\n"
    "              {it}\n"
    "            </div>\n"
    "            {notes}\n"
    "            {files}\n"
    "            {promises}\n"
    "          "
)
_PROMISES = (
    '\n            <ul class="small mb-0 mt-1 ps-3">\n'
    "              {}\n"
    "            </ul>\n            "
)
_KEPT = (
    '\n            <div><i class="bi bi-check2-circle text-success" aria-hidden="true"></i>'
    ' {kept}{late}: <a href="{url}">{title}</a></div>\n'
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>'
    " · {due}</div>\n"
    "          "
)
_HANDOVER = (
    '\n            <div><i class="bi bi-arrow-left-right" aria-hidden="true"></i>'
    " <strong>{handed}</strong> {from_word} {from_brm} {to_word} {to_brm}</div>\n"
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>'
    "{note}</div>\n"
    "          "
)
_REVIEW = (
    '\n            <div><i class="bi bi-clipboard-data" aria-hidden="true"></i>'
    ' <strong>{held}</strong>: <a href="{url}">{outcome}</a></div>\n'
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>'
    " · {promises} {made}</div>\n"
    "          "
)
_COMPLAINT = (
    '\n            <div><i class="bi bi-exclamation-triangle text-danger" aria-hidden="true"></i>'
    ' <strong>{filed}</strong> ({severity}): <a href="{url}">{title}</a>'
    ' <span class="badge text-bg-light border">{status}</span></div>\n'
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>'
    " · {reference}{service}</div>\n"
    "          "
)
_COMPLIMENT = (
    '\n            <div><i class="bi bi-award text-success" aria-hidden="true"></i>'
    " {compliment}: {message}</div>\n"
    '            <div class="small text-body-secondary"><time datetime="{iso}">{when}</time>'
    " {author}</div>\n"
    "          "
)


def _t(message: str) -> str:
    """`{% translate message %}`: the translation, escaped."""
    return escape(gettext(message))


class _Writer:
    """The timeline's pieces in the active language and time zone, built once per render."""

    def __init__(self, context: template.Context) -> None:
        self.dates = Dates()
        self.sees_analysis = bool(context.get("sees_analysis"))
        self.can_edit = bool(context.get("can_edit"))
        self.kinds = choice_labels(Interaction, "kind")
        self.sentiments = choice_labels(Interaction, "sentiment")
        self.outcomes = Badges(
            ActionItem, "outcome", {k: str(v) for k, v in OUTCOME_LABELS.items()}
        )
        self.sentiment_title = _t("Sentiment")
        self.with_word, self.it_word = _t("· with"), _t("· IT:")
        self.private = _t("Private note:")
        self.files_word, self.of_meeting = _t("Files"), _t("of this meeting")
        self.promise_word = _t("Promise:")
        self.owner_due = gettext("%(owner)s, due %(due)s")
        self.kept_word, self.late_word = _t("Promise kept"), _t("(late)")
        self.was_due = gettext("%(owner)s · was due %(due)s")
        self.handed, self.nobody = _t("Relationship handed over"), _t("nobody")
        self.from_word, self.to_word = _t("from"), _t("to")
        self.held, self.made = _t("Service review held"), _t("made")
        self.no_outcome = gettext("minutes and performance pack")
        self.filed = _t("Complaint filed")
        self.compliment = gettext("<strong>Compliment</strong> for %(label)s")
        self.from_who = gettext("· from %(who)s")
        self.someone = gettext("someone")

    def when(self, value: Any) -> dict[str, str]:
        """The `<time>` element's attribute and text of `value`."""
        return {"iso": self.dates.iso(value), "when": self.dates.weekday_day_time(value)}

    def interaction(self, i: Any) -> str:
        sentiment = ""
        if self.sees_analysis:
            value = i.sentiment
            sentiment = (
                f'<span class="badge sentiment sentiment-{value}" title="{self.sentiment_title}">'
                f"{escape(self.sentiments.get(value, value))}"
                f" ({'+' if value > 0 else ''}{value})</span>"
            )
        attendees = ""
        if i.attendee_list:
            names = ", ".join(escape(s.name) for s in i.attendee_list)
            attendees = f" {self.with_word} {names}"
        it = ""
        if i.it_participant_list:
            names = ", ".join(escape(person(u)) for u in i.it_participant_list)
            it = f" {self.it_word} {names}"
        notes = ""
        if i.notes:
            notes = (
                '<div class="small mt-1 private-note"><i class="bi bi-lock" aria-hidden="true">'
                f'</i> <span class="visually-hidden">{self.private}</span>'
                f"{linebreaksbr(i.notes, autoescape=True)}</div>"
            )
        files = ""
        if i.file_count or self.can_edit:
            n = i.file_count
            label = ngettext("%(n)s file", "%(n)s files", n) % {"n": n} if n else self.files_word
            url = escape(detail_url("stakeholders:interaction_attachments", i.pk))
            files = (
                f'<div class="small mt-1 meeting-files"><a class="text-body-secondary"'
                f' href="{url}"><i class="bi bi-paperclip" aria-hidden="true"></i> {label}'
                f'<span class="visually-hidden"> {self.of_meeting}</span></a></div>'
            )
        promises = ""
        if i.promises_made:
            promises = _PROMISES.format(
                "".join(
                    f"<li>{self.promise_word}"
                    f' <a href="{escape(a.get_absolute_url())}">{escape(a.title)}</a> — '
                    f"{self.owner_due % self.owner_and_due(a)} {self.outcomes(a.outcome)}</li>"
                    for a in i.promises_made
                )
            )
        return _MEETING.format(
            kind=escape(self.kinds.get(i.kind, i.kind)),
            summary=escape(i.summary),
            sentiment=sentiment,
            attendees=attendees,
            it=it,
            notes=notes,
            files=files,
            promises=promises,
            **self.when(i.occurred_at),
        )

    def owner_and_due(self, a: Any) -> dict[str, str]:
        return {"owner": escape(a.owner_name), "due": escape(self.dates.day(a.due_date))}

    def commitment_done(self, a: Any) -> str:
        return _KEPT.format(
            kept=self.kept_word,
            late=f" {self.late_word}" if a.done_late else "",
            url=escape(a.get_absolute_url()),
            title=escape(a.title),
            due=self.was_due % self.owner_and_due(a),
            **self.when(a.completed_at),
        )

    def handover(self, h: Any) -> str:
        return _HANDOVER.format(
            handed=self.handed,
            from_word=self.from_word,
            from_brm=escape(person(h.from_brm)) if h.from_brm else self.nobody,
            to_word=self.to_word,
            to_brm=escape(person(h.to_brm)) if h.to_brm else self.nobody,
            note=f" · {escape(h.note)}" if h.note else "",
            **self.when(h.created_at),
        )

    def review(self, r: Any) -> str:
        n = r.n_actions
        return _REVIEW.format(
            held=self.held,
            url=escape(r.get_absolute_url()),
            outcome=escape(Truncator(r.outcome or self.no_outcome).chars(160)),
            promises=ngettext("%(n)s promise", "%(n)s promises", n) % {"n": n},
            made=self.made,
            **self.when(r.held_at),
        )

    def complaint(self, c: Any) -> str:
        return _COMPLAINT.format(
            filed=self.filed,
            severity=escape(c.get_severity_display().lower()),
            url=escape(c.get_absolute_url()),
            title=escape(c.title),
            status=escape(c.get_status_display()),
            reference=escape(c.reference),
            service=f" · {escape(c.service.name)}" if c.service else "",
            **self.when(c.created_at),
        )

    def compliment_entry(self, f: Any) -> str:
        return _COMPLIMENT.format(
            compliment=self.compliment % {"label": escape(f.about_label)},
            message=escape(Truncator(f.message).chars(300)),
            author=self.from_who % {"who": escape(person(f.author, self.someone))},
            **self.when(f.created_at),
        )

    def entry(self, entry: TimelineEntry) -> str:
        write = {
            "interaction": self.interaction,
            "commitment_done": self.commitment_done,
            "handover": self.handover,
            "review": self.review,
            "complaint": self.complaint,
            "compliment": self.compliment_entry,
        }.get(entry.kind)
        # An unknown kind showed an empty card, as the template's `if` chain did.
        body = write(entry.obj) if write is not None else ""
        return _ENTRY.format(kind=escape(entry.kind), body=body)


@register.simple_tag(takes_context=True)
def timeline_rows(context: template.Context, entries: Iterable[TimelineEntry]) -> SafeString:
    """One `<li>` per timeline entry (meeting, promise kept, handover, service review,
    complaint, compliment), as the template's loop wrote them, with the whitespace it added.
    Reads `sees_analysis` (sentiment badges) and `can_edit` (a Files link on a meeting with
    none yet) from the context; expects the rows as the apps' `timeline_load` gives them."""
    writer = _Writer(context)
    return joined(writer.entry(entry) for entry in entries)


@register.simple_tag(takes_context=True)
def key_people_rows(context: template.Context, people: Iterable[Any]) -> SafeString:
    """The key people panel's `<li>`s: each person's name (linked to their page for IT), job
    title and, for those who see the analysis (`sees_analysis`), their Mendelow quadrant."""
    it_side = bool(context.get("is_it_side"))
    sees_analysis = bool(context.get("sees_analysis"))
    title = _t("Influence / interest")

    def row(p: Any) -> str:
        name: str = escape(p.name)
        if it_side:
            name = f'<a href="{escape(p.get_absolute_url())}">{name}</a>'
        quadrant = (
            f'<span class="small text-body-secondary" title="{title}">{escape(p.quadrant)}</span>'
            if sees_analysis
            else ""
        )
        return (
            '<li class="list-group-item d-flex justify-content-between"><span>'
            f'{name} <span class="small text-body-secondary">{escape(p.job_title)}</span></span>'
            f"{quadrant}</li>"
        )

    return joined(row(p) for p in people)


@register.simple_tag
def open_promise_rows(items: Iterable[ActionItem]) -> SafeString:
    """The open promises panel's `<li>`s: title (linked), owner's side, owner and due date,
    and how many days overdue (the row marked) when it is."""
    dates = Dates()
    sides = choice_labels(ActionItem, "owner_side")
    owner_due = gettext("%(owner)s · due %(due)s")
    overdue = _t("overdue")

    def row(a: ActionItem) -> str:
        late = a.is_overdue
        days = ""
        if late:
            n = a.days_overdue
            days_late = ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
            days = f" · <strong>{days_late} {overdue}</strong>"
        due = owner_due % {"owner": escape(a.owner_name), "due": escape(dates.day(a.due_date))}
        return (
            f'<li class="list-group-item {"list-group-item-danger" if late else ""}">'
            f'<a href="{escape(a.get_absolute_url())}">{escape(a.title)}</a>'
            f'<div class="text-body-secondary">{escape(sides.get(a.owner_side, a.owner_side))}'
            f" · {due}{days}</div></li>"
        )

    return joined(row(a) for a in items)
