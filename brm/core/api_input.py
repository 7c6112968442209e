"""What the API accepts from a client, bounded once for every endpoint (issue 12).

Hostile input must answer 400, never 500. Each kind of input is bounded here, once:

- `BoundedJSONParser` (DEFAULT_PARSER_CLASSES): a JSON body nested deeper than
  `API_MAX_JSON_DEPTH` (default 32) or larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused with
  a ParseError (400) before it is decoded; Python's decoder would otherwise recurse until
  `RecursionError` (a 500) on a body nested about 10,000 levels deep.
- `ModelSerializer`, the base of every model serializer: runs the model's own validation
  (`Model.full_clean`: field validators, `clean()`, unique and check constraints) on the
  instance the serializer would save, so what the database enforces is answered with a per-field
  400 before any write; integer ids only for foreign keys (`1.5` and `"1.0"` are refused, DRF
  would read them as 1); dates within `brm.core.validators.date_range()`. `Serializer` bounds
  the dates of the action serializers the same way.
- `FilterBackend` (DEFAULT_FILTER_BACKENDS): the same date range on every list's date filters.
- Services that fill in values themselves call `brm.core.validators.validate_model` (the same
  check, raising `InputError` for the first field).
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any, TypeVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

from brm.core.api_output import FastRepresentationMixin
from brm.core.ordering import StableOrderingFilter, stable_order
from brm.core.validators import bound_dates, check_model

_M = TypeVar("_M", bound=models.Model)

# A JSON string (escapes included) or one bracket: brackets inside strings are not nesting.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when `text` (JSON) opens more than `limit` arrays/objects inside one another.

    A linear scan that never recurses, so it is safe on any body; brackets inside strings do
    not count. Malformed JSON is left for the decoder to refuse."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with bounds: at most `API_MAX_JSON_DEPTH` levels of nesting and
    `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes; anything the decoder cannot read is a ParseError (400)
    too, whatever the reason (bad encoding, NaN, recursion)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        context = parser_context or {}
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            raw = stream.read(limit + 1 if limit is not None else -1) if stream else b""
            if limit is not None and len(raw) > limit:
                raise ParseError(
                    gettext("The request body is larger than %(limit)s bytes.") % {"limit": limit}
                )
            text = codecs.decode(raw, encoding)
        except (LookupError, ValueError) as exc:
            raise ParseError(gettext("JSON parse error - %(exc)s") % {"exc": exc}) from exc
        max_depth = getattr(settings, "API_MAX_JSON_DEPTH", 32)
        if json_depth_exceeds(text, max_depth):
            raise ParseError(
                gettext("JSON parse error - nested more than %(max_depth)s levels deep.")
                % {"max_depth": max_depth}
            )
        try:
            constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(gettext("JSON parse error - %(exc)s") % {"exc": exc}) from exc


# --- Serializers ------------------------------------------------------------------------------


def pin_time_zone(fields: Iterable[object]) -> None:
    """Gives every DRF datetime field among `fields` that has no time zone of its own the
    current one (the reader's, `brm.core.middleware.UserTimeZoneMiddleware`) as its `timezone`.

    The same zone DRF would look up itself, but once per serializer (fields are built per
    request) instead of once per value: a 50-row list with three datetimes asked for it 150
    times, about a third of their serialization time (issue 14)."""
    if not settings.USE_TZ:
        return
    zone = timezone.get_current_timezone()
    for field in fields:
        if isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
            field.timezone = zone


class IntegerPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """A foreign key given by its integer id: `3` or `"3"`, never `1.5`, `"1.0"` or `true`
    (DRF would look up `pk=1.5`, which the database reads as 1)."""

    default_error_messages = {"incorrect_type": "Give the id as a whole number, not {data_type}."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.strip().isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__ + f" {data!r}"[:40])
        return super().to_internal_value(int(data))


def errors_by_field(
    error: DjangoValidationError, fields: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A model ValidationError as DRF's `{field: [messages]}`; errors on fields the serializer
    does not show, and errors on no field, go under `non_field_errors` (the field named)."""
    detail: dict[str, Any] = {}
    raw = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for name, messages in raw.items():
        key = name
        if name == NON_FIELD_ERRORS or (fields is not None and name not in fields):
            key = api_settings.NON_FIELD_ERRORS_KEY
            if name != NON_FIELD_ERRORS:
                messages = [f"{name}: {message}" for message in messages]
        detail.setdefault(key, []).extend(messages)
    return detail


class Serializer(serializers.Serializer[Any]):
    """The base of the API's plain (action) serializers: dates within the kernel's range."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        bound_dates(fields.values())
        pin_time_zone(fields.values())
        return fields


class ModelSerializer(FastRepresentationMixin, serializers.ModelSerializer[_M]):
    """The base of every model serializer in the API.

    Beyond DRF's: foreign keys take whole-number ids only (`IntegerPrimaryKeyRelatedField`),
    dates stay within `brm.core.validators.date_range()`, and `validate` runs the model's own
    rules (`brm.core.validators.check_model`: field validators, `clean()`, unique and check
    constraints) on a copy of the instance with the validated values applied, after the
    serializer's own validation, so a value the database would refuse is a 400 on its field
    instead of an IntegrityError. Many-to-many values and values a service fills in are checked
    by that service
    (`brm.core.validators.validate_model`). Rows are represented by
    `brm.core.api_output.FastRepresentationMixin` (DRF's output, without its per-field calls)."""

    serializer_related_field = IntegerPrimaryKeyRelatedField

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # DRF works out the fields from the model's metadata for every serializer it makes
        # (about 0.1-0.15 ms more per request than copying them, issue 14); that depends on the
        # class alone (no serializer of the API overrides get_field_names, get_extra_kwargs or
        # build_field), so it is done once per class and each serializer gets a deep copy: new
        # field instances made from the same arguments, as DRF copies its declared fields.
        # Kept per language: DRF formats some messages as it builds (a unique field's "... with
        # this ... already exists."), which would otherwise stay in the first caller's language.
        by_language: dict[str | None, dict[str, Any]] | None = type(self).__dict__.get(
            "_built_fields"
        )
        if by_language is None:
            by_language = {}
            type(self)._built_fields = by_language  # type: ignore[attr-defined]
        language = get_language()
        built = by_language.get(language)
        if built is None:
            built = by_language[language] = super().get_fields()
        fields = copy.deepcopy(built)
        bound_dates(fields.values())
        pin_time_zone(fields.values())
        return fields

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # After the fields and the subclass's own `validate` (which need not call super).
        attrs = super().run_validation(data)
        if self.parent is None and isinstance(attrs, dict):
            self.check_model(attrs)
        return attrs

    def check_model(self, attrs: dict[str, Any]) -> None:
        """The model's rules on the record as it would be saved; a 400 per field if broken.

        Fields the client did not send are not checked again (an edit keeps them, a new record
        gets them from its service, which checks them with `validate_model`). The rules across
        fields are: every one on an edit (a PATCH of the start date meets the stored end
        date), on a new record those whose fields were all sent."""
        model: type[models.Model] = self.Meta.model
        creating = self.instance is None
        # A copy (Model.__getstate__ copies its state): the instance stays as loaded until save.
        instance: models.Model = model() if self.instance is None else copy.copy(self.instance)
        concrete = {f.name: f for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            field = concrete.get(name)
            if field is not None:
                setattr(instance, field.attname if field.is_relation else name, _pk(value))
        untouched = set(concrete) - set(attrs)
        try:
            check_model(
                instance,
                exclude=untouched,
                constraints_exclude=untouched if creating else None,
                # `Meta.validators = []` is DRF's way to say the serializer settles clashes
                # itself (an upsert): unique rules are then its business.
                unique=getattr(self.Meta, "validators", None) != [],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(errors_by_field(exc, self.fields)) from exc


# Query parameters that never name a filter: the pagination's (brm.core.pagination).
NOT_FILTERS = frozenset({"page", "page_size"})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend for every API list (DEFAULT_FILTER_BACKENDS), with the kernel's
    date policy on every date filter: `?occurred_after=0132-02-17T12:00+17:11` is a 400, not a
    database error.

    A request that names no filter (no query parameter but the pagination's) builds no filter
    set: every filter leaves the queryset as it is for an empty value (django-filter's
    `Filter.filter` and method filters return it unchanged), so the filter set would only add
    its ordering's tie-breaker (`StableOrderingFilter`), which is added here instead. Building
    the filter set and its form was about 0.5 ms of every list request (issue 14);
    `tests/core/test_api_output.py` checks, for every API list, that the queryset is the one the
    filter set gives."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if request.query_params.keys() - NOT_FILTERS:
            return super().filter_queryset(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if any(isinstance(f, StableOrderingFilter) for f in filterset_class.base_filters.values()):
            return stable_order(queryset)
        return queryset

    def get_filterset(self, request: HttpRequest, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            bound_dates(filterset.form.fields.values())
        return filterset


def _pk(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


__all__ = [
    "BoundedJSONParser",
    "FilterBackend",
    "IntegerPrimaryKeyRelatedField",
    "ModelSerializer",
    "Serializer",
    "errors_by_field",
    "json_depth_exceeds",
]
