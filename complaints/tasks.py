"""Background jobs of complaints: the deadline checker, closing follow-up loops, the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from complaints import services
from complaints.models import ComplaintNotification, NotificationKind

logger = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.ACKNOWLEDGEMENT: "We have received your complaint {ref}",
    NotificationKind.STATUS_CHANGE: "Update on your complaint {ref}",
    NotificationKind.ESCALATION: "Escalation (level {level}): complaint {ref} is overdue",
    NotificationKind.FOLLOW_UP: "The outcome of the work on your complaint {ref}",
}


def _recipients(note: ComplaintNotification) -> list[str]:
    complaint = note.complaint
    if note.kind == NotificationKind.ESCALATION:
        return services.escalation_recipients(complaint, note.level or 1)
    if _to_handlers(note):
        return services.escalation_recipients(complaint, 1)  # the unit's BRM and deputy
    person = complaint.complainant
    return [person.email] if person is not None and person.email else []


def _to_handlers(note: ComplaintNotification) -> bool:
    """A status change or comment by the complainant goes to IT, anything else to them."""
    return (
        note.kind == NotificationKind.STATUS_CHANGE
        and note.event is not None
        and note.event.actor_id is not None
        and note.event.actor_id == note.complaint.complainant_id
    )


@shared_task
def send_complaint_notification(notification_id: int) -> bool:
    """Send one outbox email, once.

    The conditional UPDATE claims the row: a retry or a second worker updates nothing and sends
    nothing. If sending fails, the claim is released so the sweep tries again.
    """
    now = timezone.now()
    claimed = ComplaintNotification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=now
    )
    if not claimed:
        logger.info("Complaint notification %s already sent.", notification_id)
        return False
    note = ComplaintNotification.objects.select_related(
        "complaint__unit__brm",
        "complaint__unit__deputy",
        "complaint__complainant",
        "complaint__service",
        "event__actor",
    ).get(pk=notification_id)
    to = _recipients(note)
    if not to:
        ComplaintNotification.objects.filter(pk=note.pk).update(recipients="")
        return False
    complaint = note.complaint
    context = {
        "note": note,
        "complaint": complaint,
        "event": note.event,
        "to_handlers": _to_handlers(note),
        "url": settings.SITE_URL + complaint.get_absolute_url(),
    }
    message = EmailMessage(
        subject=(
            f"{complaint.reference}: news from the complainant"
            if context["to_handlers"]
            else SUBJECTS[note.kind].format(ref=complaint.reference, level=note.level)
        ),
        body=render_to_string("complaints/email/notification.txt", context),
        to=to,
    )
    try:
        message.send()
    except Exception:
        ComplaintNotification.objects.filter(pk=note.pk).update(sent_at=None)
        raise
    ComplaintNotification.objects.filter(pk=note.pk).update(recipients=", ".join(to))
    return True


@shared_task
def check_complaint_deadlines() -> int:
    """Escalate breached deadlines (each level once per complaint; safe to run any time)."""
    return services.check_deadlines()


@shared_task
def close_follow_up_loops() -> int:
    """Tell complainants the outcome once their linked work has finished (each once)."""
    return services.close_follow_up_loops()


@shared_task
def sweep_pending_complaint_notifications() -> int:
    """Queue outbox emails whose first queueing never reached the broker (it was down)."""
    ids = services.pending_notifications(timedelta(minutes=2))
    for pk in ids:
        send_complaint_notification.delay(pk)
    return len(ids)
