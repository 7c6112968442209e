"""People's data in service reviews (GDPR): the reviews a person attended, the notices sent to
them, their erasure, and how long review minutes are kept. Collected by `brm.privacy`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q

from brm.core import privacy
from brm.core.privacy import ERASED, Person
from reviews.models import (
    ChangeRequest,
    ReviewNotice,
    ReviewStatus,
    ServiceReview,
    UnplannedReviewNotice,
)

HistoricalReview = ServiceReview.history.model
HistoricalChange = ChangeRequest.history.model
REVIEW_TEXTS = ["location", "agenda", "minutes", "outcome"]


def _attended(person: Person) -> Q:
    condition = Q(pk__in=[])
    if person.stakeholder_id:
        condition |= Q(attendees=person.stakeholder_id)
    if person.user_id:
        condition |= Q(it_attendees=person.user_id)
    return condition


def export_part(person: Person) -> dict[str, Any]:
    """Reviews they attended (with agenda, minutes and outcome) and the notices addressed to
    them."""
    return {
        "reviews": privacy.rows(
            ServiceReview.objects.filter(_attended(person)).distinct(),
            "id",
            "unit__name",
            "scheduled_at",
            "status",
            *REVIEW_TEXTS,
        ),
        "review_notices": privacy.rows(
            ReviewNotice.objects.filter(recipient__in=person.emails),
            "review_id",
            "kind",
            "recipient",
            "created_at",
            "sent_at",
        )
        + privacy.rows(
            UnplannedReviewNotice.objects.filter(recipient__in=person.emails),
            "unit__name",
            "due_on",
            "recipient",
            "created_at",
            "sent_at",
        ),
    }


def erase_part(person: Person) -> dict[str, int]:
    """Reviews stay, with the person among the attendees shown as erased (their register entry
    and login are erased by the register and the kernel); mentions of them leave the reviews'
    and change requests' texts and history rows. Notices addressed to them keep no address.
    A second run changes nothing."""
    changes = ["title", "description", "decision"]
    counts = {
        "reviews": privacy.scrub_rows(ServiceReview.objects.all(), person, REVIEW_TEXTS)
        + privacy.scrub_rows(HistoricalReview.objects.all(), person, REVIEW_TEXTS),
        "change_requests": privacy.scrub_rows(ChangeRequest.objects.all(), person, changes)
        + privacy.scrub_rows(HistoricalChange.objects.all(), person, changes),
        "review_notices": 0,
    }
    for model in (ReviewNotice, UnplannedReviewNotice):
        for pk in model.objects.filter(recipient__in=person.emails).values_list("pk", flat=True):
            # Unique per review (or unit) and recipient: the row's id keeps it unique.
            address = f"{ERASED}-{pk}@{ERASED}.invalid"
            counts["review_notices"] += model.objects.filter(pk=pk).update(recipient=address)
    return counts


def remove_old_review_minutes(before: datetime) -> int:
    """Retention: blank the minutes of reviews held before `before`, in the record and its
    history rows (the review, its outcome and its frozen performance pack stay). Returns
    reviews changed; a second run changes none."""
    old = ServiceReview.objects.filter(status=ReviewStatus.HELD, held_at__lt=before)
    ids = list(old.exclude(minutes="").values_list("pk", flat=True))
    changed = ServiceReview.objects.filter(pk__in=ids).update(minutes="", version=F("version") + 1)
    HistoricalReview.objects.filter(id__in=old.values("pk")).exclude(minutes="").update(minutes="")
    return changed
