"""Export and erasure of one person's data, and the nightly retention run (GDPR arts. 15, 17
and 5(1)(e)).

Each app gives its part through its `privacy` module (`export_part(person)` -> dict of JSON
lists, `erase_part(person)` -> counts); this module finds the person, asks every part in one
transaction, checks who may act and writes the audit log (`brm.core.audit.record_event`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import brm.health.privacy
import brm.imports.privacy
import brm.webhooks.privacy
import complaints.privacy
import portfolio.privacy
import reviews.privacy
import satisfaction.privacy
import stakeholders.privacy
from brm.core import privacy as kernel
from brm.core.audit import record_event
from brm.core.errors import ForbiddenAction
from brm.core.privacy import Person
from brm.core.roles import require
from brm.privacy import signin
from brm.privacy.models import RetentionSettings
from brm.privacy.permissions import may_handle_personal_data

if TYPE_CHECKING:
    from types import ModuleType

    from brm.core.roles import AnyUser

logger = logging.getLogger(__name__)

# Each part of the product, in the order an export shows them. The kernel goes last in an
# erasure: the apps scrub texts by the person's address and name before the account loses them.
PARTS: dict[str, ModuleType] = {
    "register": stakeholders.privacy,
    "reviews": reviews.privacy,
    "complaints": complaints.privacy,
    "demands": portfolio.privacy,
    "surveys": satisfaction.privacy,
    "health": brm.health.privacy,
    "webhooks": brm.webhooks.privacy,
    "imports": brm.imports.privacy,
    "sign_in": signin,
    "account": kernel,
}
SUBJECT_TYPES = ("stakeholder", "user")


class NotFound(LookupError):
    """No record (live or in history) of the person asked about."""


def find_person(subject_type: str, subject_id: int) -> Person:
    """The person behind a register entry ("stakeholder", live or deleted: its history rows
    count) or a login ("user"), with their other half when linked. Raises `NotFound`."""
    if subject_type == "stakeholder":
        person = stakeholders.privacy.person_for_stakeholder(subject_id)
        if person is None:
            raise NotFound(gettext("No stakeholder %(subject_id)s.") % {"subject_id": subject_id})
        return person
    if subject_type == "user":
        user = User.objects.filter(pk=subject_id).first()
        if user is None:
            raise NotFound(gettext("No user %(subject_id)s.") % {"subject_id": subject_id})
        return stakeholders.privacy.person_for_user(user)
    raise NotFound(
        gettext("Unknown kind of subject %(subject_type)s.") % {"subject_type": repr(subject_type)}
    )


def _require(actor: AnyUser) -> None:
    require(
        may_handle_personal_data(actor),
        gettext("Only administrators export or erase people's data."),
    )


def export_person(subject_type: str, subject_id: int, *, actor: AnyUser) -> dict[str, Any]:
    """Everything the product holds about one person (GDPR art. 15), as JSON:
    `{"subject": {"type", "id"}, "user_id", "stakeholder_id", "generated_at" (ISO 8601),
    "parts": {part: {section: [row, ...]}}}`. Administrators only (`ForbiddenAction`,
    403); `NotFound` (404) when there is no such person. The export is recorded in the audit
    log (`privacy.export`)."""
    _require(actor)
    person = find_person(subject_type, subject_id)
    with transaction.atomic():
        parts = {name: module.export_part(person) for name, module in PARTS.items()}
        record_event(
            "privacy.export",
            actor=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            details={"sections": {p: sorted(s) for p, s in parts.items()}},
        )
    return {
        "subject": {"type": subject_type, "id": subject_id},
        "user_id": person.user_id,
        "stakeholder_id": person.stakeholder_id,
        "generated_at": timezone.now().isoformat(),
        "parts": parts,
    }


def erase_person(subject_type: str, subject_id: int, *, actor: AnyUser) -> dict[str, Any]:
    """Erase one person (GDPR art. 17) in one transaction: their register entry and login are
    shown as "(erased)" with every personal field replaced in the records and their history
    rows; meetings, reviews, complaints and demands stay with every mention of them scrubbed;
    emails addressed to them keep no address; non-anonymous survey answers are deleted.
    Returns `{"subject": {...}, "erased_at": ISO 8601, "counts": {part: {section: rows}}}`;
    a second call changes nothing (all counts 0). Administrators only (`ForbiddenAction`, 403),
    and not on oneself (403: an administrator's own erasure is another administrator's act);
    `NotFound` (404). Recorded in the audit log (`privacy.erase`, counts only)."""
    _require(actor)
    person = find_person(subject_type, subject_id)
    if person.user_id is not None and person.user_id == actor.pk:
        raise ForbiddenAction(gettext("Another administrator must erase your own account."))
    with transaction.atomic():
        counts = {name: module.erase_part(person) for name, module in PARTS.items()}
        record_event(
            "privacy.erase",
            actor=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            details={
                "user_id": person.user_id,
                "stakeholder_id": person.stakeholder_id,
                "counts": counts,
            },
        )
    logger.info("Erased %s %s: %s", subject_type, subject_id, counts)
    return {
        "subject": {"type": subject_type, "id": subject_id},
        "erased_at": timezone.now().isoformat(),
        "counts": counts,
    }


def years_before(moment: datetime, years: int) -> datetime:
    """`moment` moved back `years` calendar years (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Remove what has passed its retention period (`RetentionSettings`; 0 keeps for ever):
    meeting notes, review minutes, closed complaints' free text, in-app notifications (read
    ones, and unread ones later) and old email copies. Returns
    `{kind: rows changed or deleted}`, logs it and records it in the audit log
    (`privacy.retention`, actor the system). Safe to run twice: the second run finds nothing."""
    now = now or timezone.now()
    policy = RetentionSettings.get()
    removed: dict[str, int] = {}
    with transaction.atomic():
        if policy.meeting_notes_years:
            cutoff = years_before(now, policy.meeting_notes_years)
            removed["meeting_notes"] = stakeholders.privacy.remove_old_meeting_notes(cutoff)
        if policy.review_minutes_years:
            cutoff = years_before(now, policy.review_minutes_years)
            removed["review_minutes"] = reviews.privacy.remove_old_review_minutes(cutoff)
        if policy.closed_complaint_text_years:
            cutoff = years_before(now, policy.closed_complaint_text_years)
            removed["complaint_texts"] = complaints.privacy.remove_old_complaint_texts(cutoff)
        # The inbox before the outbox: an email drops out of retention while an inbox shows it.
        removed |= kernel.remove_old_notifications(
            read_before=now - timedelta(days=policy.inbox_read_days)
            if policy.inbox_read_days
            else None,
            unread_before=now - timedelta(days=policy.inbox_unread_days)
            if policy.inbox_unread_days
            else None,
        )
        if policy.outbox_days:
            removed["email_copies"] = kernel.remove_old_outbox(
                now - timedelta(days=policy.outbox_days)
            )
        record_event("privacy.retention", actor=None, details={"removed": removed})
    logger.info("Retention removed %s", removed)
    return removed
