"""Serializer fields whose JSON is what the OpenAPI schema says, for shapes DRF gets wrong.

`OptionalChoiceField`: a model `CharField(choices=..., blank=True)` stores "unset" as `""`,
which is no member of its enum; DRF would send `""` while drf-spectacular documents only the
enum (read-only fields lose `allow_blank`), so generated clients reject the response. This field
sends `null` instead and the schema says `nullable` (the enum plus `null`).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class OptionalChoiceField(serializers.ChoiceField):
    """A choice that may be unset: `""` in the database, `null` in the API (both directions).

    `choices` as for `ChoiceField` (a TextChoices' `.choices`). Output: the choice, or `None`
    for `""`/`None`. Input (when writable): a choice, or `null`/`""`, both stored as `""`.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        kwargs.pop("allow_blank", None)
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "":
            data = None
        is_empty, value = super().validate_empty_values(data)
        return (True, "") if is_empty and value is None else (is_empty, value)

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)


__all__ = ["OptionalChoiceField"]
