"""The audit trail: who changed which fields of a record, from what to what, and when; and the
log of administrative acts that are not edits of one record (`record_event`).

All apps record history with django-simple-history (`history = HistoricalRecords()`); this turns
those rows into readable changes. Acts such as a person's data exported or erased, or a retention
run, are `core.AuditEvent` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import ForeignObjectRel
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brm.core.models import AuditEvent
from brm.core.roles import stored_user

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from brm.core.roles import AnyUser

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
IGNORED = {"updated_at", "created_at"}
# Words the history shows for what is stored untranslated (no user on the row, a boolean): lazy,
# so they are in the language of whoever reads the page, and the rows themselves stay as they are.
SYSTEM = _("system")
YES, NO = _("yes"), _("no")


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class AuditEntry:
    at: datetime
    who: str | _StrPromise  # SYSTEM when no person made the change
    action: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def _display(
    model: type[models.Model], name: str, value: Any, related: dict[tuple[str, Any], str]
) -> Any:
    f = model._meta.get_field(name)
    if value is None or value == "":
        return "—"
    if f.is_relation:
        return related.get((name, value), f"#{value}")
    if isinstance(f, ForeignObjectRel):  # reverse relations are not tracked columns
        return value
    if f.choices:
        return dict(f.flatchoices).get(value, value)
    if isinstance(value, bool):
        return YES if value else NO
    return value


def set_change_reason(record: models.Model, reason: str) -> None:
    """The reason django-simple-history stores with the next save of `record` in its history.

    simple_history reads the instance attribute `_change_reason`, which no type knows about.
    """
    record.__dict__["_change_reason"] = reason


def history_entries(obj: models.Model, limit: int = 15) -> list[AuditEntry]:
    """The latest changes of `obj`, newest first (one query, plus one per related model shown)."""
    # simple_history adds `history` to tracked models at run time and ships no type information.
    history = obj.history  # type: ignore[attr-defined]
    records = list(
        history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    model = type(obj)
    tracked = [f for f in model._meta.concrete_fields if f.name not in IGNORED]
    diffs: list[tuple[Any, list[tuple[str, Any, Any]]]] = []
    wanted: dict[str, set[Any]] = {}
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(diffs) == limit:
            break
        pairs = []
        for f in tracked:
            new = getattr(newer, f.attname, None)
            old = getattr(older, f.attname, None) if older is not None else None
            if older is None and newer.history_type == "+":
                if new in (None, "", False):
                    continue
            elif new == old:
                continue
            pairs.append((f.name, old, new))
            if f.is_relation:
                wanted.setdefault(f.name, set()).update(v for v in (old, new) if v is not None)
        diffs.append((newer, pairs))
    # One query per related model, not per field: a unit's BRM and deputy are both users.
    by_model: dict[type[models.Model], set[Any]] = {}
    for name, ids in wanted.items():
        target = model._meta.get_field(name).related_model
        if isinstance(target, type):  # a relation to "self" is resolved to a class by now
            by_model.setdefault(target, set()).update(ids)
    labels: dict[tuple[type[models.Model], Any], str] = {}
    for target, ids in by_model.items():
        for rel in target._default_manager.filter(pk__in=ids):
            label = rel.get_full_name() if hasattr(rel, "get_full_name") else ""
            labels[(target, rel.pk)] = label or str(rel)
    related: dict[tuple[str, Any], str] = {
        (name, pk): labels[(target, pk)]
        for name in wanted
        if isinstance(target := model._meta.get_field(name).related_model, type)
        for pk in wanted[name]
        if (target, pk) in labels
    }
    entries = []
    for record, pairs in diffs:
        user = record.history_user
        entries.append(
            AuditEntry(
                at=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else SYSTEM,
                action=ACTIONS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=[
                    FieldChange(
                        str(getattr(model._meta.get_field(n), "verbose_name", n)),
                        _display(model, n, o, related),
                        _display(model, n, v, related),
                    )
                    for n, o, v in pairs
                ],
            )
        )
    return entries


def record_event(
    action: str,
    *,
    actor: AnyUser | None,
    subject_type: str = "",
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one `AuditEvent` now (inside the caller's transaction, so it is kept only if the act
    is). `actor` None is the system. `details` must be JSON (counts and ids, never a person's
    name or address: the log outlives an erasure)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=stored_user(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
    )
