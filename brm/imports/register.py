"""What each importable kind reads from a row, and how it is written: through the app's services.

A `Kind` names its natural key column (unit: code; stakeholder: email), the columns it reads
(header names matched case-insensitively, with the register export's own headers as aliases so
an export re-imports unchanged) and `apply(row, actor)`, which finds the stored record by key,
sets the row's values on it and returns (record, changed). The runner saves changed records
through `save`, i.e. the app's service, after `brm.core.validators.check_model` (the same rules
the forms and the API run: single-line names, lengths, choices, uniques).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from brm.core.errors import InputError
from stakeholders import services as register_services
from stakeholders.models import BusinessUnit, Channel, RoleType, Stakeholder

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

YES = {"yes", "y", "true", "1", "on", "x"}
NO = {"no", "n", "false", "0", "off", ""}


def _yes_no(column: str, value: str) -> bool:
    text = value.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise InputError(column, f"'{value}' is not yes or no.")


def _whole(column: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(column, f"'{value}' is not a whole number.") from None


def _choice(column: str, value: str, choices: type[models.TextChoices]) -> str:
    text = value.strip().lower()
    for choice in choices:
        if text in {choice.value.lower(), str(choice.label).lower()}:
            return str(choice.value)
    names = ", ".join(str(c.label) for c in choices)
    raise InputError(column, f"'{value}' is not one of {names}.")


def _unit(column: str, value: str) -> BusinessUnit:
    unit = (
        BusinessUnit.objects.filter(code__iexact=value).first()
        or BusinessUnit.objects.filter(name__iexact=value).first()
    )
    if unit is None:
        raise InputError(column, f"No business unit has the code or name '{value}'.")
    return unit


@dataclass(frozen=True)
class Kind:
    """One importable record type.

    `key`: the natural key column; `columns`: canonical column -> accepted header spellings
    (lower case); `apply(values, actor)`: (record with the row's values set, changed?) where
    `values` maps canonical columns present in the file to trimmed text; `save`: the service.
    """

    name: str
    key: str
    columns: dict[str, tuple[str, ...]]
    apply: Callable[[dict[str, str]], tuple[models.Model, bool]]
    save: Callable[[Any, AnyUser | None], Any]


def _set(record: models.Model, field: str, value: Any) -> bool:
    if getattr(record, field) == value:
        return False
    setattr(record, field, value)
    return True


def _apply_unit(values: dict[str, str]) -> tuple[models.Model, bool]:
    code = values["code"]
    unit = BusinessUnit.objects.filter(code=code).first()
    new = unit is None
    if unit is None:
        unit = BusinessUnit(code=code)
    changed = new
    if "name" in values:
        changed |= _set(unit, "name", values["name"])
    if "parent" in values:
        parent = _unit("parent", values["parent"]) if values["parent"] else None
        changed |= _set(unit, "parent_id", parent.pk if parent else None)
    if "description" in values:
        changed |= _set(unit, "description", values["description"])
    if values.get("review_cadence_days"):
        days = _whole("review_cadence_days", values["review_cadence_days"])
        changed |= _set(unit, "review_cadence_days", days)
    if "active" in values:
        changed |= _set(unit, "active", _yes_no("active", values["active"]))
    return unit, changed


def _apply_stakeholder(values: dict[str, str]) -> tuple[models.Model, bool]:
    email = values["email"]
    matches = list(Stakeholder.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise InputError("email", f"Several people in the register have the email {email}.")
    person = matches[0] if matches else None
    new = person is None
    if person is None:
        if not values.get("unit"):
            raise InputError("unit", "A new person needs their business unit (code or name).")
        person = Stakeholder(email=email)
    changed = new
    if values.get("unit"):
        changed |= _set(person, "unit_id", _unit("unit", values["unit"]).pk)
    for field in ("name", "job_title", "phone"):
        if field in values:
            changed |= _set(person, field, values[field])
    if values.get("role_type"):
        changed |= _set(person, "role_type", _choice("role_type", values["role_type"], RoleType))
    if values.get("preferred_channel"):
        channel = _choice("preferred_channel", values["preferred_channel"], Channel)
        changed |= _set(person, "preferred_channel", channel)
    for field in ("influence", "interest"):
        if values.get(field):
            changed |= _set(person, field, _whole(field, values[field]))
    if "active" in values:
        changed |= _set(person, "active", _yes_no("active", values["active"]))
    return person, changed


KINDS: dict[str, Kind] = {
    "units": Kind(
        name="units",
        key="code",
        columns={
            "code": ("code", "unit code"),
            "name": ("name",),
            "parent": ("parent", "parent code", "parent unit"),
            "description": ("description",),
            "review_cadence_days": ("review cadence days", "review_cadence_days"),
            "active": ("active",),
        },
        apply=_apply_unit,
        save=lambda unit, actor: register_services.save_unit(unit, actor=actor),
    ),
    "stakeholders": Kind(
        name="stakeholders",
        key="email",
        columns={
            "email": ("email",),
            "name": ("name",),
            "job_title": ("job title", "job_title"),
            "unit": ("unit", "unit code", "business unit"),
            "role_type": ("role", "role type", "role_type"),
            "influence": ("influence",),
            "interest": ("interest",),
            "phone": ("phone",),
            "preferred_channel": ("preferred channel", "preferred_channel"),
            "active": ("active",),
        },
        apply=_apply_stakeholder,
        save=lambda person, actor: register_services.save_stakeholder(person, actor=actor),
    ),
}
