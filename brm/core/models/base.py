"""Bases every app's models use: timestamps, and the one access rule for unit-scoped records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from django.db import models, router, transaction
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from brm.core import statements
from brm.core.errors import StaleVersion
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


def _choice_labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    """{stored value: label (lazy, translated when shown)} of a field with choices, built once
    per field and rebuilt if its `choices` object is replaced."""
    cached = _CHOICE_LABELS.get(field)
    if cached is not None and cached[0] is field.choices:
        return cached[1]
    labels = {make_hashable(value): label for value, label in field.flatchoices}
    _CHOICE_LABELS[field] = (field.choices, labels)
    return labels


_CHOICE_LABELS: dict[models.Field[Any, Any], tuple[object, dict[Any, Any]]] = {}


class TimeStampedModel(models.Model):
    """Every record says when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:  # noqa: N802 - Django's
        # What `get_<field>_display()` calls. Django's own rebuilds a dict of the field's choices
        # on every call, hashing each label, which translates it (~25 µs with six choices; a list
        # page calls it per row and column): the same answer from a map built once per field.
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)


class VersionedModel(models.Model):
    """A record people edit: `version` (1 when created) goes up by one on every save, and a
    save only lands on the version it was read at.

    `save()` of a stored record runs one conditional UPDATE, `... SET version = n + 1 WHERE
    pk = %s AND version = n`, where n is `self.version` (the version this instance was read at,
    or the version an edit form or an API `If-Match` said the user saw). When it matches no
    row, someone saved in between: it raises `brm.core.errors.StaleVersion` (a page re-shows the
    form with what changed, the API answers 412) and the instance keeps version n. The check
    and the write are one statement, so two writers can never both win. `save(update_fields=...)`
    writes those fields and `version` only. `QuerySet.update()` and `bulk_update()` bypass it
    (system bookkeeping, not people's edits); loading fixtures (`raw`) keeps the stored version.
    """

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text=_("Goes up by one on every save; a save read at an older version is refused."),
    )

    class Meta:
        abstract = True

    # The version this save expects to find; set only for the duration of `save()`.
    _expected_version: int | None = None

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields: Iterable[str] | None = kwargs.get("update_fields")
        if (
            self.pk is None
            or self._state.adding
            or (update_fields is not None and not list(update_fields))
        ):
            super().save(*args, **kwargs)  # a new record starts at 1; an empty save is a no-op
            return
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        expected = self.version
        self.version = expected + 1
        self._expected_version = expected
        try:
            super().save(*args, **kwargs)
        except StaleVersion:
            self.version = expected  # nothing was written: the instance is still at n
            # Django marks the enclosing transaction for rollback on any error inside save();
            # an UPDATE that matched no row broke nothing, so the caller's transaction goes on
            # (a form re-shown in a request's transaction, a test's atomic block).
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            if transaction.get_connection(using).in_atomic_block:
                transaction.set_rollback(False, using=using)
            raise
        except BaseException:
            self.version = expected
            raise
        finally:
            self._expected_version = None

    def _do_update(  # type: ignore[no-untyped-def]
        self, base_qs, using, pk_val, values, update_fields, forced_update, returning_fields
    ):
        # Django's one UPDATE of `save()`, narrowed to the expected version (the same hook
        # django-concurrency uses); 0 rows means stale or deleted, never "insert instead".
        expected = self._expected_version
        if expected is None:
            return super()._do_update(
                base_qs, using, pk_val, values, update_fields, forced_update, returning_fields
            )
        results = super()._do_update(
            base_qs.filter(version=expected),
            using,
            pk_val,
            values,
            update_fields,
            True,  # forced: no extra existence query, and never fall back to an INSERT
            returning_fields,
        )
        if not results:
            current = base_qs.filter(pk=pk_val).values_list("version", flat=True).first()
            raise StaleVersion(str(self._meta.verbose_name), pk_val, expected, current)
        return results


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
        """The settings row (pk 1), created with the code's defaults on first use.

        Read through a statement compiled once per process (`brm.core.statements`: the same SQL
        and no values on every call), not built through the ORM on each of the many requests
        that read settings (issue 14); still one query, so an edit is read at once everywhere.
        """
        found = statements.instances(
            ("settings", cls._meta.label), lambda: cls._default_manager.filter(pk=1)[:1]
        )
        if found:
            return found[0]  # type: ignore[no-any-return]
        return cls._default_manager.get_or_create(pk=1)[0]
