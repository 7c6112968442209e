"""Bases every app's models use: timestamps, and the one access rule for unit-scoped records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from django.db import models
from django.db.models import Q

from brm.core.roles import Role, leader_unit_id, reads_all_units, role_of, writes_all_units

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class ManagedUnit(Protocol):
    """What the access rule needs of a business unit: the ids of its BRM and deputy.

    The register's `BusinessUnit` has these; the kernel names the shape, not the model, so it
    imports no business app.
    """

    brm_id: int | None
    deputy_id: int | None


class TimeStampedModel(models.Model):
    """Every record says when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- Access rules -----------------------------------------------------------------------------


_M = TypeVar("_M", bound=models.Model)


class UnitScopedQuerySet(models.QuerySet[_M]):
    """`visible_to` / `editable_by` for records that belong to a business unit.

    `unit_path` is the lookup from the model to its BusinessUnit ("" for the unit itself).
    """

    unit_path = "unit"

    def _unit_filter(self, suffix: str, value: object) -> Q:
        path = f"{self.unit_path}__{suffix}" if self.unit_path else suffix
        return Q(**{path: value})

    def visible_to(self, user: AnyUser) -> Self:
        if reads_all_units(user):
            return self
        if role_of(user) == Role.LEADER:
            unit_id = leader_unit_id(user)
            if unit_id is not None:
                return self.filter(self._unit_filter("pk", unit_id))
        return self.none()

    def editable_by(self, user: AnyUser) -> Self:
        if writes_all_units(user):
            return self
        if role_of(user) == Role.BRM:
            return self.filter(self._unit_filter("brm", user) | self._unit_filter("deputy", user))
        return self.none()


class UnitScopedModel(TimeStampedModel):
    """Shared `is_editable_by` for unit-scoped records (the object-level half of the rule)."""

    class Meta:
        abstract = True

    def get_unit(self) -> ManagedUnit:
        # Each concrete subclass declares its `unit` foreign key; the abstract base cannot.
        return self.unit  # type: ignore[attr-defined,no-any-return]

    def is_editable_by(self, user: AnyUser) -> bool:
        if writes_all_units(user):
            return True
        if role_of(user) != Role.BRM:
            return False
        unit = self.get_unit()
        return user.pk in (unit.brm_id, unit.deputy_id)


class SingletonSettings(models.Model):
    """One row of settings that administrators tune in the admin, with defaults in code.

    `get()` creates the row on first use, so a fresh install works before anyone visits the admin.
    """

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def get(cls) -> Self:
        return cls._default_manager.get_or_create(pk=1)[0]
