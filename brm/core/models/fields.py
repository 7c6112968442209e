"""Model fields with a rule of their own, shared by every app."""

from __future__ import annotations

from typing import Any

from django.db import models


class NullableUniqueCharField(models.CharField):  # type: ignore[type-arg]
    """An optional identifier that is unique when given (an HR or CRM id): blank is NULL.

    PostgreSQL lets any number of rows hold NULL in a unique column but only one hold `""`, so a
    second record saved without the identifier would break the unique constraint (a 500). This
    field stores blank (`""`, or only spaces) as NULL whichever way the value arrives (API,
    forms, the admin, an import, the ORM): `clean` and `pre_save` turn it into `None` and
    `get_db_prep_save` never writes `""` (`update()` included). Declare it with `unique=True`
    (null and blank are implied).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    @staticmethod
    def _blank_to_none(value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def clean(self, value: Any, model_instance: models.Model | None) -> Any:
        # Not `to_python`: lookups pass through it, and a unique check of "" must not become
        # "IS NULL" (which every record without an id matches).
        return self._blank_to_none(super().clean(value, model_instance))

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        # Saves and `QuerySet.update()`; lookups keep `""` (which then matches no row), so a
        # unique check of a blank value never mistakes it for "IS NULL".
        return super().get_db_prep_save(self._blank_to_none(value), connection)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self._blank_to_none(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


__all__ = ["NullableUniqueCharField"]
