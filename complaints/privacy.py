"""People's data in complaints and feedback (GDPR): what a person filed or wrote, the
notifications sent to them, their erasure, and how long closed complaints keep their free text.
Collected by `brm.privacy`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q

from brm.core import privacy
from brm.core.privacy import Person
from complaints.models import Complaint, ComplaintEvent, ComplaintNotification, Feedback, Status

COMPLAINT_TEXTS = ["title", "description", "remedy_requested", "resolution", "follow_up_outcome"]
# What retention removes from a closed complaint: what the complainant and IT wrote. The
# title, reference, dates, severity and rating stay, so reports and targets still count it.
RETAINED_TEXTS = ["description", "remedy_requested", "resolution", "follow_up_outcome"]
REMOVED = "[removed: retention period over]"


def _events() -> models.QuerySet[ComplaintEvent]:
    """Complaint events as a plain queryset. The timeline is append-only for people
    (`ComplaintEventQuerySet` refuses `update`); an erasure or the retention period is the law
    overriding that, and is itself recorded in the audit log."""
    return models.QuerySet(ComplaintEvent)


def _filed(person: Person) -> Q:
    return Q(complainant=person.user_id) if person.user_id else Q(pk__in=[])


def export_part(person: Person) -> dict[str, Any]:
    """Complaints they filed (with their timeline comments), what they commented on others,
    feedback they wrote or that is about them, and complaint notifications sent to them."""
    uid = person.user_id
    return {
        "complaints": privacy.rows(
            Complaint.objects.filter(_filed(person)),
            "id",
            "reference",
            "unit__name",
            *COMPLAINT_TEXTS,
            "severity",
            "status",
            "resolution_rating",
            "created_at",
            "closed_at",
        ),
        "complaint_comments": privacy.rows(
            ComplaintEvent.objects.filter(actor=uid) if uid else ComplaintEvent.objects.none(),
            "complaint_id",
            "kind",
            "comment",
            "created_at",
        ),
        "feedback": privacy.rows(
            Feedback.objects.filter(Q(author=uid) | Q(about_person=uid))
            if uid
            else Feedback.objects.none(),
            "id",
            "kind",
            "author_id",
            "about_person_id",
            "about_team",
            "message",
            "created_at",
        ),
        "complaint_notifications": privacy.rows(
            ComplaintNotification.objects.filter(privacy.mentions(person, "recipients")),
            "complaint_id",
            "kind",
            "recipients",
            "sent_at",
        ),
    }


def erase_part(person: Person) -> dict[str, int]:
    """Complaints and feedback stay (targets, reports and the unit's history count them) with
    the complainant or author shown as erased (their login is erased by the kernel); every
    mention of the person leaves their texts and the timeline's comments; notifications keep no
    address of theirs. A second run changes nothing."""
    notes = 0
    for note in ComplaintNotification.objects.filter(privacy.mentions(person, "recipients")):
        kept = [a.strip() for a in note.recipients.split(",") if a.strip()]
        recipients = ", ".join(a for a in kept if a.lower() not in person.emails)
        notes += ComplaintNotification.objects.filter(pk=note.pk).update(recipients=recipients)
    return {
        "complaints": privacy.scrub_rows(Complaint.objects.all(), person, COMPLAINT_TEXTS),
        "complaint_comments": privacy.scrub_rows(_events(), person, ["comment"]),
        "feedback": privacy.scrub_rows(Feedback.objects.all(), person, ["about_team", "message"]),
        "complaint_notifications": notes,
    }


def remove_old_complaint_texts(before: datetime) -> int:
    """Retention: the free text of complaints closed before `before` (description, remedy
    requested, resolution, follow-up outcome, and the timeline's comments) is replaced by a
    note that it was removed. Returns complaints changed; a second run changes none."""
    old = Complaint.objects.filter(status=Status.CLOSED, closed_at__lt=before)
    still = Q(pk__in=[])
    for name in RETAINED_TEXTS:
        still |= ~Q(**{name: ""}) & ~Q(**{name: REMOVED})
    ids = list(old.filter(still).values_list("pk", flat=True))
    changed = Complaint.objects.filter(pk__in=ids).update(
        description=REMOVED,
        remedy_requested="",
        resolution=REMOVED,
        follow_up_outcome="",
    )
    _events().filter(complaint__in=old).exclude(comment="").exclude(comment=REMOVED).update(
        comment=REMOVED
    )
    return changed
