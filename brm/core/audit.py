"""The audit trail shown on records: who changed which fields, from what to what, and when.

All apps record history with django-simple-history (`history = HistoricalRecords()`); this turns
those rows into readable changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import ForeignObjectRel

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
IGNORED = {"updated_at", "created_at"}


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class AuditEntry:
    at: datetime
    who: str
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
        return "yes" if value else "no"
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
    related: dict[tuple[str, Any], str] = {}
    for name, ids in wanted.items():
        target = model._meta.get_field(name).related_model
        if not isinstance(target, type):  # a relation to "self" is resolved to a class by now
            continue
        for rel in target._default_manager.filter(pk__in=ids):
            label = rel.get_full_name() if hasattr(rel, "get_full_name") else ""
            related[(name, rel.pk)] = label or str(rel)
    entries = []
    for record, pairs in diffs:
        user = record.history_user
        entries.append(
            AuditEntry(
                at=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "system",
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
