"""Background jobs of complaints (the deadline checker, closing follow-up loops) and the
composer of complaint emails, which the kernel's delivery path (`brm.core.delivery`) calls."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from brm.core.delivery import Outgoing
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from complaints import services
from complaints.models import ComplaintNotification, NotificationKind
from complaints.workflow import news_for_handlers

logger = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.ACKNOWLEDGEMENT: _("We have received your complaint {ref}"),
    NotificationKind.STATUS_CHANGE: _("Update on your complaint {ref}"),
    NotificationKind.ESCALATION: _("Escalation (level {level}): complaint {ref} is overdue"),
    NotificationKind.FOLLOW_UP: _("The outcome of the work on your complaint {ref}"),
    NotificationKind.ASSIGNMENT: _("Complaint {ref} is assigned to you"),
}


def _recipients(note: ComplaintNotification) -> list[str]:
    complaint = note.complaint
    if note.kind == NotificationKind.ESCALATION:
        return services.escalation_recipients(complaint, note.level or 1)
    if note.kind == NotificationKind.ASSIGNMENT:
        # The person it was assigned to, while it is still theirs (a quick reassignment tells
        # only the last one) and the complaint still open.
        handler = note.event.handler if note.event is not None else None
        if handler is None or handler.pk != complaint.handler_id or not complaint.is_open:
            return []
        return [handler.email] if handler.email and handler.is_active else []
    if news_for_handlers(note):
        return services.handler_recipients(complaint)  # the unit's BRM and deputy, the handler
    person = complaint.complainant
    return [person.email] if person is not None and person.email else []


def compose_notification(row: OutboundEmail) -> Outgoing | None:
    """The email of one `ComplaintNotification` (``row.ref``); recipients chosen at send time.

    None (nothing to send) when the row is gone or nobody would receive it. Once the mail server
    accepted it, the notification records when and to whom it went.
    """
    note = (
        ComplaintNotification.objects.select_related(
            "complaint__unit__brm",
            "complaint__unit__deputy",
            "complaint__handler",
            "complaint__complainant",
            "complaint__service",
            "event__actor",
            "event__handler",
        )
        .filter(pk=row.ref)
        .first()
    )
    if note is None:
        return None
    to = _recipients(note)
    if not to:
        return None
    complaint = note.complaint
    to_handlers = news_for_handlers(note)
    context = {
        "note": note,
        "complaint": complaint,
        "event": note.event,
        "to_handlers": to_handlers,
        "url": settings.SITE_URL + complaint.get_absolute_url(),
        "queue_url": settings.SITE_URL + reverse("complaints:complaint_queue"),
    }
    with translation.override(language_for(to)):  # the recipients' language, else the site's
        email = EmailMessage(
            subject=(
                _("{ref}: news from the complainant").format(ref=complaint.reference)
                if to_handlers
                else str(SUBJECTS[NotificationKind(note.kind)]).format(
                    ref=complaint.reference, level=note.level
                )
            ),
            body=render_to_string("complaints/email/notification.txt", context),
            to=to,
        )

    def on_sent(sent_at: datetime) -> None:
        ComplaintNotification.objects.filter(pk=note.pk).update(
            sent_at=sent_at, recipients=", ".join(to)
        )

    return Outgoing(email, on_sent)


@shared_task
def check_complaint_deadlines() -> int:
    """Escalate breached deadlines (each level once per complaint; safe to run any time)."""
    return services.check_deadlines()


@shared_task
def close_follow_up_loops() -> int:
    """Tell complainants the outcome once their linked work has finished (each once)."""
    return services.close_follow_up_loops()
