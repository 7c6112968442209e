"""People's data in the register (GDPR): who a person is, what the register holds about them,
how it is erased, and how long meeting notes are kept.

Exports what `brm.privacy` collects: `person_for_stakeholder`, `person_for_user`,
`export_part`, `erase_part` and `remove_old_meeting_notes`. The shapes are the kernel's
(`brm.core.privacy.Person`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, Q

from brm.core import privacy
from brm.core.privacy import ERASED_NAME, Person
from stakeholders.models import ActionItem, BusinessUnit, Handover, Interaction, Stakeholder

HistoricalStakeholder = Stakeholder.history.model
HistoricalActionItem = ActionItem.history.model
HistoricalUnit = BusinessUnit.history.model

# The register entry's personal fields, blanked in the record and in every history row.
PERSONAL = {"name": ERASED_NAME, "job_title": "", "email": "", "phone": "", "external_id": None}


def _stakeholder_values(stakeholder_id: int) -> list[dict[str, Any]]:
    """The personal values of the record and of every history row (a deleted record's too)."""
    fields = ("name", "email", "phone", "external_id", "user_id")
    live = list(Stakeholder.objects.filter(pk=stakeholder_id).values(*fields))
    return live + list(HistoricalStakeholder.objects.filter(id=stakeholder_id).values(*fields))


def person_for_stakeholder(stakeholder_id: int) -> Person | None:
    """The person behind register entry `stakeholder_id` (live or only in history), with every
    name, address and phone it ever had, and its login's identifiers; None if it never existed."""
    values = _stakeholder_values(stakeholder_id)
    if not values:
        return None
    user_ids = {v["user_id"] for v in values if v["user_id"]}
    person = privacy.person_from_values(
        stakeholder_id=stakeholder_id,
        emails=[v["email"] for v in values],
        names=[v["name"] for v in values],
        phones=[v["phone"] for v in values],
        other=[v["external_id"] or "" for v in values],
    )
    live_user = Stakeholder.objects.filter(pk=stakeholder_id).values_list("user_id", flat=True)
    user_id = next(iter(live_user), None) or (min(user_ids) if user_ids else None)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return person.merged(privacy.person_for_user(user)) if user else person


def person_for_user(user: User) -> Person:
    """The person behind login `user`, with their register entry if they have one."""
    person = privacy.person_for_user(user)
    stakeholder_id = Stakeholder.objects.filter(user=user).values_list("pk", flat=True).first()
    if stakeholder_id is None:
        return person
    entry = person_for_stakeholder(stakeholder_id)
    return person.merged(entry) if entry else person


def _attended(person: Person) -> Q:
    condition = Q(pk__in=[])
    if person.stakeholder_id:
        condition |= Q(attendees=person.stakeholder_id)
    if person.user_id:
        condition |= Q(it_participants=person.user_id)
    return condition


def _owned(person: Person) -> Q:
    condition = Q(pk__in=[])
    if person.stakeholder_id:
        condition |= Q(owner_stakeholder=person.stakeholder_id)
    if person.user_id:
        condition |= Q(owner=person.user_id)
    return condition


def export_part(person: Person) -> dict[str, Any]:
    """The register entry and its history rows, the meetings they attended (with the BRM's
    notes: the person has the right to see them) and the commitments they own."""
    part: dict[str, Any] = {}
    sid = person.stakeholder_id or 0  # no register entry: 0 matches no row
    fields = [f.attname for f in Stakeholder._meta.concrete_fields]
    part["stakeholder"] = privacy.rows(Stakeholder.objects.filter(pk=sid), *fields)
    part["stakeholder_history"] = privacy.rows(
        HistoricalStakeholder.objects.filter(id=sid),
        *fields,
        "history_id",
        "history_date",
        "history_type",
        "history_user_id",
        "history_change_reason",
    )
    part["meetings"] = privacy.rows(
        Interaction.objects.filter(_attended(person)).distinct(),
        "id",
        "unit__name",
        "kind",
        "occurred_at",
        "summary",
        "notes",
    )
    part["commitments"] = privacy.rows(
        ActionItem.objects.filter(_owned(person)),
        "id",
        "unit__name",
        "title",
        "description",
        "due_date",
        "status",
    )
    return part


def erase_part(person: Person) -> dict[str, int]:
    """Erase the person from the register; counts of rows changed.

    The entry stays (meetings, commitments and surveys point at it) shown as "(erased)": name,
    job title, address, phone and external id are replaced in the record and in every one of
    its history rows, and it is made inactive (never invited, never mailed). Meetings and
    commitments stay; their texts lose every mention of the person. Rows are changed with
    `update()`: the erasure writes no new history row that would hold the old values. A second
    run changes nothing.
    """
    counts: dict[str, int] = {}
    sid = person.stakeholder_id
    still_personal = (
        ~Q(name=ERASED_NAME)
        | ~Q(job_title="")
        | ~Q(email="")
        | ~Q(phone="")
        | Q(external_id__isnull=False)
    )
    if sid is not None:
        counts["stakeholder"] = (
            Stakeholder.objects.filter(pk=sid)
            .filter(still_personal | Q(active=True))
            .update(**PERSONAL, active=False, version=F("version") + 1)
        )
        # History keeps what happened (when the entry was active, its unit, its scores); only
        # the personal fields go.
        counts["stakeholder_history"] = (
            HistoricalStakeholder.objects.filter(id=sid).filter(still_personal).update(**PERSONAL)
        )
        counts["stakeholder_history"] += privacy.scrub_rows(
            HistoricalStakeholder.objects.filter(id=sid), person, ["history_change_reason"]
        )
    counts["meetings"] = privacy.scrub_rows(Interaction.objects.all(), person, ["summary", "notes"])
    counts["commitments"] = privacy.scrub_rows(
        ActionItem.objects.all(), person, ["title", "description"]
    ) + privacy.scrub_rows(HistoricalActionItem.objects.all(), person, ["title", "description"])
    counts["handovers"] = privacy.scrub_rows(Handover.objects.all(), person, ["note"])
    counts["units"] = privacy.scrub_rows(
        BusinessUnit.objects.all(), person, ["description"]
    ) + privacy.scrub_rows(HistoricalUnit.objects.all(), person, ["description"])
    return counts


def remove_old_meeting_notes(before: datetime) -> int:
    """Retention: blank the BRM's private notes of meetings held before `before` (the meeting,
    its summary and attendees stay). Returns meetings changed; a second run changes none."""
    return Interaction.objects.filter(occurred_at__lt=before).exclude(notes="").update(notes="")
