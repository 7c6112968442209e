"""Operations that change the stakeholder register, shared by views, API, admin and jobs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from brm.core import delivery
from brm.core.audit import set_change_reason
from brm.core.errors import InputError, StaleVersion, StateConflict
from brm.core.roles import Role, require, role_of, stored_user
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    BusinessUnit,
    Handover,
    Interaction,
    OwnerSide,
    Stakeholder,
)
from stakeholders.permissions import (
    may_add_stakeholder,
    may_change_commitment,
    may_edit_stakeholder,
    may_edit_unit,
    may_log_interaction,
    may_manage_relationship,
    may_manage_units,
    may_place_unit,
    may_reassign_brm,
    may_record_commitment,
)
from stakeholders.tasks import HANDOVER_PACK_EMAIL

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from brm.core.roles import AnyUser


# Roles whose members can own an IT promise they record (an integration is not a person).
IT_OWNER_ROLES = {Role.BRM, Role.ADMIN}


@dataclass
class CommitmentInput:
    title: str
    due_date: date
    owner_side: str = OwnerSide.IT
    owner: User | None = None
    owner_stakeholder: Stakeholder | None = None
    description: str = ""


def make_commitment(
    unit: BusinessUnit,
    spec: CommitmentInput,
    *,
    actor: AnyUser | None,
    interaction: Interaction | None = None,
) -> ActionItem:
    """Record a promise (an `ActionItem`) whatever made it: a meeting, a service review, a
    complaint follow-up, an improvement plan or the API. The one place a commitment is created.

    `actor` None is the system (a job proposing an improvement plan). An IT commitment with no
    owner is owned by the actor when the actor is an IT person. The app that made the promise
    links to the returned item from its own side (reviews, health, complaints).

    Raises `ForbiddenAction` when the actor may not edit the unit's relationship records, and
    `django.core.exceptions.ValidationError` (per field) when the promise is not valid.
    """
    require(
        may_record_commitment(actor, unit),
        gettext("Only the unit's relationship managers record promises for it."),
    )
    it_side = spec.owner_side == OwnerSide.IT
    owner = spec.owner
    if it_side and owner is None and actor is not None and role_of(actor) in IT_OWNER_ROLES:
        owner = stored_user(actor)
    item = ActionItem(
        unit=unit,
        interaction=interaction,
        title=spec.title,
        description=spec.description,
        due_date=spec.due_date,
        owner_side=spec.owner_side,
        owner=owner if it_side else None,
        owner_stakeholder=None if it_side else spec.owner_stakeholder,
        created_by=None
        if actor is None or role_of(actor) == Role.INTEGRATION
        else stored_user(actor),
    )
    item.full_clean(exclude=["created_by"])
    item.save()
    return item


@transaction.atomic
def log_interaction(
    unit: BusinessUnit,
    *,
    actor: AnyUser,
    fields: dict[str, Any],
    attendees: Iterable[Stakeholder] = (),
    it_participants: Iterable[User] = (),
    commitments: Sequence[CommitmentInput] = (),
) -> Interaction:
    """Record a meeting or contact with the commitments made in it, all or nothing.

    Raises `ForbiddenAction` unless `may_log_interaction(actor, unit)`; nothing is written then.
    """
    require(
        may_log_interaction(actor, unit),
        gettext("Only the unit's relationship managers log meetings."),
    )
    interaction = Interaction.objects.create(unit=unit, logged_by=stored_user(actor), **fields)
    interaction.attendees.set(attendees)
    participants = list(it_participants)
    if not participants and (me := stored_user(actor)) is not None:
        participants = [me]
    interaction.it_participants.set(participants)
    for c in commitments:
        make_commitment(unit, c, actor=actor, interaction=interaction)
    return interaction


def _require_commitment_change(item: ActionItem, actor: AnyUser | None) -> None:
    require(
        may_change_commitment(actor, item),
        gettext("Only the unit's relationship managers change its promises."),
    )


@transaction.atomic
def complete_action_item(item: ActionItem, *, actor: AnyUser) -> ActionItem:
    """Mark a commitment done now. Whether it was on time follows from the due date.

    Raises `ForbiddenAction` unless `may_change_commitment`, `StateConflict` unless it is open.
    """
    _require_commitment_change(item, actor)
    if item.status != ActionStatus.OPEN:
        raise StateConflict(
            gettext("This commitment is already %(status)s.")
            % {"status": item.get_status_display().lower()}
        )
    item.status = ActionStatus.DONE
    item.completed_at = timezone.now()
    set_change_reason(item, "Marked done")
    item.save(update_fields=["status", "completed_at", "updated_at"])
    return item


@transaction.atomic
def drop_action_item(item: ActionItem, *, actor: AnyUser, reason: str) -> ActionItem:
    """Drop a commitment that will not be delivered; the reason stays in its history.

    Raises `ForbiddenAction` unless `may_change_commitment`, `StateConflict` unless it is open.
    """
    _require_commitment_change(item, actor)
    if item.status != ActionStatus.OPEN:
        raise StateConflict(
            gettext("This commitment is already %(status)s.")
            % {"status": item.get_status_display().lower()}
        )
    item.status = ActionStatus.DROPPED
    set_change_reason(item, reason[:100] or "Dropped")
    item.save(update_fields=["status", "updated_at"])
    return item


@transaction.atomic
def reopen_action_item(item: ActionItem, *, actor: AnyUser) -> ActionItem:
    """Reopen a done or dropped commitment.

    Raises `ForbiddenAction` unless `may_change_commitment`, `StateConflict` if already open.
    """
    _require_commitment_change(item, actor)
    if item.status == ActionStatus.OPEN:
        raise StateConflict(gettext("This commitment is already open."))
    item.status = ActionStatus.OPEN
    item.completed_at = None
    set_change_reason(item, "Reopened")
    item.save(update_fields=["status", "completed_at", "updated_at"])
    return item


@transaction.atomic
def reassign_brm(
    unit: BusinessUnit,
    *,
    new_brm: User | None,
    actor: AnyUser,
    note: str = "",
) -> Handover | None:
    """Hand a unit to another relationship manager.

    Nothing is moved or deleted: the history belongs to the unit. The handover is recorded on the
    timeline and the new BRM is sent the handover pack after commit. Returns None when `new_brm`
    already manages the unit. Raises `ForbiddenAction` unless `may_reassign_brm(actor)`,
    `InputError` ("brm", 400) when `new_brm` is not a relationship manager.
    """
    require(may_reassign_brm(actor, unit), gettext("Only administrators reassign a unit's BRM."))
    unit = BusinessUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.brm_id == (new_brm.pk if new_brm else None):
        return None
    if new_brm is not None and not may_manage_relationship(new_brm):
        who = new_brm.get_full_name() or new_brm.get_username()
        raise InputError(
            "brm",
            gettext("%(who)s is not a relationship manager; a unit's BRM is IT staff.")
            % {"who": who},
        )
    previous = unit.brm
    unit.brm = new_brm
    if new_brm is not None and unit.deputy_id == new_brm.pk:
        # The deputy steps up; keeping them as their own deputy would leave no cover.
        unit.deputy = None
    set_change_reason(unit, "BRM handover")
    unit.save()
    handover = Handover.objects.create(
        unit=unit, from_brm=previous, to_brm=new_brm, note=note, handed_over_by=stored_user(actor)
    )
    if new_brm is not None:
        delivery.enqueue(HANDOVER_PACK_EMAIL, handover.pk)  # sent after commit, once
    return handover


# --- The register's records ---------------------------------------------------------------------


def check_unit_placement(
    unit: BusinessUnit, *, actor: AnyUser | None, stored: BusinessUnit | None = None
) -> None:
    """The staffing and place in the tree of `unit` as about to be saved (`stored`: as it is now,
    None for a new unit). Only what changes is checked, so old data never blocks other edits.

    - BRM and deputy are IT relationship staff (`may_manage_relationship`);
    - a new parent, and the parent it leaves, are units the actor manages (`may_place_unit`).

    Raises `InputError` ("brm", "deputy" or "parent"; 400, a form error). Save paths (API,
    admin) call it before saving; `save_unit` and `reassign_brm` call it too.
    """
    for field in ("brm", "deputy"):
        person = getattr(unit, field)
        changed = stored is None or getattr(stored, f"{field}_id") != getattr(unit, f"{field}_id")
        if person is not None and changed and not may_manage_relationship(person):
            who = person.get_full_name() or person.get_username()
            raise InputError(
                field,
                gettext(
                    "%(name)s is not a relationship manager; a unit's BRM and deputy are IT staff."
                )
                % {"name": who},
            )
    old_parent = stored.parent if stored is not None else None
    if stored is None or stored.parent_id != unit.parent_id:
        for parent in (unit.parent, old_parent):
            if not may_place_unit(actor, parent):
                assert parent is not None  # the top level is open to anyone who saves the unit
                raise InputError(
                    "parent",
                    gettext("You do not manage %(name)s; ask an administrator to move it.")
                    % {"name": parent.name},
                )


@transaction.atomic
def save_unit(unit: BusinessUnit, *, actor: AnyUser | None) -> BusinessUnit:
    """Create a unit (administrators and integrations) or save changes to one (also its BRMs).

    The caller (form, serializer, admin) has set the fields; a change of BRM goes through
    `reassign_brm` so it is a recorded handover. Raises `ForbiddenAction` (nothing saved) when
    `may_manage_units` (new unit) or `may_edit_unit` (existing unit, as stored) says no, and
    `InputError` (400) from `check_unit_placement` (deputy not IT staff, parent not theirs).
    """
    stored = None
    if unit.pk is None:
        require(
            may_manage_units(actor), gettext("Only administrators and integrations create units.")
        )
    else:
        stored = BusinessUnit.objects.select_related("parent").get(pk=unit.pk)
        require(may_edit_unit(actor, stored), gettext("You may read this unit but not change it."))
    check_unit_placement(unit, actor=actor, stored=stored)
    unit.save()
    return unit


@transaction.atomic
def delete_unit(unit: BusinessUnit, *, actor: AnyUser | None) -> None:
    """Delete a unit (administrators only in practice; `ProtectedError` while records use it).

    Raises `ForbiddenAction` unless `may_manage_units(actor)`.
    """
    require(may_manage_units(actor), gettext("Only administrators delete business units."))
    unit.delete()


@transaction.atomic
def save_stakeholder(person: Stakeholder, *, actor: AnyUser | None) -> Stakeholder:
    """Add a person to the register or save changes to their entry (fields already set).

    Moving a person to another unit needs write access to both units. Raises `ForbiddenAction`
    (nothing saved) when `may_edit_stakeholder` (the stored entry) or `may_add_stakeholder`
    (the unit it is saved under) says no.
    """
    stored = None
    if person.pk is not None:
        stored = Stakeholder.objects.select_related("unit").get(pk=person.pk)
    check_stakeholder_write(person, stored=stored, actor=actor)
    person.save()
    return person


def check_stakeholder_write(
    person: Stakeholder, *, stored: Stakeholder | None, actor: AnyUser | None
) -> None:
    """Who may save `person` as it is about to be saved (`stored`: as it is now, None for a new
    person): `may_edit_stakeholder` on the stored entry and `may_add_stakeholder` on the unit it
    is saved under, so moving someone needs both units. Raises `ForbiddenAction` (403); no query
    when the units are loaded. `save_stakeholder` and `save_stakeholders` call it; a bulk import
    calls it per row to report refusals by row before anything is written.
    """
    if stored is not None:
        require(
            may_edit_stakeholder(actor, stored),
            gettext("You may read this person but not change them."),
        )
    require(
        may_add_stakeholder(actor, person.unit),
        gettext("Only the unit's relationship managers change its register."),
    )


# Bulk writes go in batches of this many rows (one INSERT or UPDATE statement each).
BULK_BATCH = 1000


@transaction.atomic
def save_stakeholders(
    people: Sequence[Stakeholder],
    *,
    fields: Sequence[str],
    actor: AnyUser | None,
    reason: str = "Bulk import",
) -> None:
    """Add and change many register entries at once (a bulk import): the new ones (no pk) are
    inserted, the stored ones get `fields` written, with one history row each (who: `actor`,
    why: `reason`), in statements of `BULK_BATCH` rows instead of two per person.

    The same rules as `save_stakeholder`: `check_stakeholder_write` for every person against
    their stored entry, read here (one query, rows locked), and each stored entry must still be
    at the version the caller read, since `bulk_update` bypasses `VersionedModel.save`'s check;
    a changed entry's version goes up by one. The caller has run the model's checks
    (`brm.core.validators.check_model`). All or nothing: raises `ForbiddenAction` (403) or
    `StaleVersion` (412) before anything is written.
    """
    added = [p for p in people if p.pk is None]
    changed = [p for p in people if p.pk is not None]
    stored = {
        s.pk: s
        for s in Stakeholder.objects.select_related("unit")
        .select_for_update(of=("self",))
        .filter(pk__in=[p.pk for p in changed])
    }
    for person in people:
        before = stored.get(person.pk) if person.pk is not None else None
        if person.pk is not None and (before is None or before.version != person.version):
            raise StaleVersion(
                gettext("person"), person.pk, person.version, before.version if before else None
            )
        check_stakeholder_write(person, stored=before, actor=actor)
    who = stored_user(actor) if actor is not None else None
    now = timezone.now()
    for person in changed:
        person.version += 1
        person.updated_at = now
    if added:
        bulk_create_with_history(
            added,
            Stakeholder,
            batch_size=BULK_BATCH,
            default_user=who,
            default_change_reason=reason,
        )
    if changed:
        bulk_update_with_history(
            changed,
            Stakeholder,
            [*fields, "version", "updated_at"],
            batch_size=BULK_BATCH,
            default_user=who,
            default_change_reason=reason,
        )


@transaction.atomic
def update_commitment(item: ActionItem, *, actor: AnyUser | None) -> ActionItem:
    """Save edits to a promise (title, owner, due date...; status changes have their own services).

    Raises `ForbiddenAction` (nothing saved) unless `may_change_commitment` on the stored promise
    and `may_record_commitment` on the unit it is saved under.
    """
    stored = ActionItem.objects.select_related("unit").get(pk=item.pk)
    _require_commitment_change(stored, actor)
    require(
        may_record_commitment(actor, item.unit),
        gettext("Only the unit's relationship managers record promises for it."),
    )
    item.save()
    return item


@transaction.atomic
def update_interaction(
    interaction: Interaction,
    *,
    actor: AnyUser | None,
    fields: dict[str, Any],
    attendees: Iterable[Stakeholder] | None = None,
    it_participants: Iterable[User] | None = None,
) -> Interaction:
    """Save edits to a logged meeting; with `attendees` or `it_participants`, replace them.

    Moving it to another unit needs write access to both. Raises `ForbiddenAction` (nothing
    saved) unless `may_log_interaction` on the stored meeting's unit and on the unit it is
    saved under.
    """
    stored = Interaction.objects.select_related("unit").get(pk=interaction.pk)
    require(
        may_log_interaction(actor, stored.unit),
        gettext("Only the unit's relationship managers change its meetings."),
    )
    for name, value in fields.items():
        setattr(interaction, name, value)
    require(
        may_log_interaction(actor, interaction.unit),
        gettext("Only the unit's relationship managers log meetings."),
    )
    interaction.save()
    if attendees is not None:
        interaction.attendees.set(attendees)
    if it_participants is not None:
        interaction.it_participants.set(it_participants)
    return interaction


@transaction.atomic
def delete_record(record: Interaction | Stakeholder | ActionItem, *, actor: AnyUser | None) -> None:
    """Delete a meeting, a person or a promise (`ProtectedError` while other records use it).

    Raises `ForbiddenAction` unless the actor may change the unit's relationship records
    (`may_edit_unit`); nothing is deleted then.
    """
    require(
        may_edit_unit(actor, record.unit),
        gettext("Only the unit's relationship managers delete its records."),
    )
    record.delete()
