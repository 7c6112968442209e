"""What the API sends: a model row as JSON without DRF's field-by-field machinery (issue 14).

DRF serializes each row by asking every field for its attribute (`field.get_attribute`: a loop
over `source_attrs`, a Mapping check, a callable check, exception handling) and then for its
representation, about ten Python calls per field and row. A 50-row list of 15 fields is 750 of
those, most of the API lists' cost against a bare DRF list (issue 14: 2.0-2.4x its CPU).

`FastRepresentationMixin` (first in the bases of `brm.core.api_input.ModelSerializer`, so of
every model serializer of the API) works out once per serializer instance, from its bound
fields, how to read each field (`RowPlan`): the attribute (a foreign key's `attname`, so no
related object is loaded, as DRF's pk-only optimization) and a converter for the simple kinds
(`str`, `int`, booleans, choices, decimal strings, ISO dates, datetimes in the pinned time zone,
primary keys and lists of them); other fields read that way (JSON, optional choices) keep
their own `to_representation`.
Fields DRF must read itself (dotted or `*` sources, fields overriding `get_attribute`: nested
serializers, method fields) are left to it, per field; so is any value the plain read cannot
take (a callable, a missing attribute) or a converter does not expect (a string in a date
field). The output is DRF's, byte for byte: `tests/core/test_api_output.py` compares both
for every API list.

A list's to-many relations sent as ids (`MANY_PKS`) need no related object at all:
`split_pk_prefetches` takes their `prefetch_related` lookups off the list's queryset before the
page is read and `load_pk_lists` reads the page's (row id, related id) pairs instead, one query
per relation as the prefetch was, in the order the prefetch gave (the related queryset's
ordering, then the primary key). The kernel pagination does both for every list
(`brm.core.pagination`); a review list's three many-to-many relations cost about 5 ms of model
instances and related managers before (issue 14).
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import F, ForeignObjectRel, Lookup, Prefetch, QuerySet
from django.db.models.sql import Query
from django.utils import timezone
from django.utils.translation import get_language
from rest_framework import ISO_8601, relations
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from brm.core.ordering import stable_order

Converter = Callable[[Any], Any]
# How DRF would read a field: its own `get_attribute` and `to_representation`.
DRF = "drf"
# A single attribute read with getattr, None kept, then the converter (None: sent as it is).
PLAIN = "plain"
# A to-many relation sent as its primary keys (`ManyRelatedField` of `PrimaryKeyRelatedField`).
MANY_PKS = "many_pks"
# A marker: the plain read failed, DRF reads the field itself.
_DRF_READS = object()
# The key in a row's `__dict__` under which `load_pk_lists` leaves {relation: [ids]}.
PK_LISTS = "_api_pk_lists"


def represent_as_drf(field: drf_fields.Field[Any, Any, Any, Any], instance: Any) -> Any:
    """DRF's `Serializer.to_representation` for one field: its value, or `SkipField` raised
    when DRF would leave the key out."""
    attribute = field.get_attribute(instance)
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if check_for_none is None else field.to_representation(attribute)


def _same(field: Any, name: str, base: type) -> bool:
    """Whether `field` uses `base`'s own `name` method (not a subclass's override)."""
    return getattr(type(field), name) is getattr(base, name)


def _iso(field: Any, setting: str) -> bool:
    output_format = getattr(field, "format", getattr(api_settings, setting))
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _datetime_converter(field: drf_fields.DateTimeField) -> Converter | None:
    """ISO 8601 in the field's zone (pinned by `brm.core.api_input.pin_time_zone`, else the
    current one, as DRF's `enforce_timezone`), UTC as `Z`; None when DRF must do it."""
    if not _iso(field, "DATETIME_FORMAT") or not settings.USE_TZ:
        return None
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return None
    drf = field.to_representation

    def convert(value: Any) -> Any:
        # Aware datetimes only (what the database gives); anything else as DRF does it.
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return drf(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return drf(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _date_converter(field: drf_fields.DateField) -> Converter | None:
    if not _iso(field, "DATE_FORMAT"):
        return None
    drf = field.to_representation

    def convert(value: Any) -> Any:
        return value.isoformat() if type(value) is datetime.date else drf(value)

    return convert


def _choice_converter(field: drf_fields.ChoiceField) -> Converter:
    choices = field.choice_strings_to_values

    def convert(value: Any) -> Any:
        if value == "":
            return value
        return choices.get(str(value), value)

    return convert


def _boolean_converter(field: drf_fields.BooleanField) -> Converter:
    drf = field.to_representation

    def convert(value: Any) -> Any:
        return value if value is True or value is False else drf(value)

    return convert


def _decimal_converter(field: drf_fields.DecimalField) -> Converter | None:
    """A decimal string quantized as DRF's `DecimalField.quantize` does (the context's copy
    with `max_digits` precision, the field's rounding), made once per serializer instead of per
    value; None (DRF) for localized, normalized or unbounded fields."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    places, digits = field.decimal_places, field.max_digits
    plain = (
        coerce
        and not field.localize
        and not field.normalize_output
        and _same(field, "quantize", drf_fields.DecimalField)
    )
    if not plain or places is None or digits is None:
        return None
    context = decimal.getcontext().copy()
    context.prec = digits
    exponent = decimal.Decimal(".1") ** places
    rounding = field.rounding
    drf = field.to_representation

    def convert(value: Any) -> Any:
        if type(value) is not decimal.Decimal:
            return drf(value)
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return convert


def _bigint_converter(field: drf_fields.BigIntegerField) -> Converter:
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    return str if coerce else int


def _converter(field: Any) -> Converter | None:
    """The converter of a field read by one plain attribute: a shortcut for the simple kinds,
    else the field's own `to_representation`; None sends the value as it is."""
    simple: list[tuple[type, Converter | None]] = [
        (drf_fields.CharField, str),
        (drf_fields.IntegerField, int),
        (drf_fields.FloatField, float),
        (drf_fields.ReadOnlyField, None),
    ]
    for base, convert in simple:
        if isinstance(field, base) and _same(field, "to_representation", base):
            return convert
    makers: list[tuple[type, Callable[[Any], Converter | None]]] = [
        (drf_fields.BigIntegerField, _bigint_converter),
        (drf_fields.BooleanField, _boolean_converter),
        (drf_fields.DecimalField, _decimal_converter),
        (drf_fields.ChoiceField, _choice_converter),
        (drf_fields.DateTimeField, _datetime_converter),
        (drf_fields.DateField, _date_converter),
    ]
    for base, make in makers:
        if isinstance(field, base) and _same(field, "to_representation", base):
            made = make(field)
            if made is not None:
                return made
    return field.to_representation  # type: ignore[no-any-return]


def _attname(model: type[models.Model] | None, name: str) -> str | None:
    """The column attribute of the model's foreign key `name` (`unit` -> `unit_id`)."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(field, models.ForeignKey):
        return None
    return str(field.attname)


def plan_field(
    field: Any, model: type[models.Model] | None
) -> tuple[str, str, str | None, Converter | None]:
    """(kind, key, attribute, converter) for one readable bound field (see the module)."""
    name = field.field_name
    sources = field.source_attrs
    if len(sources) != 1:
        return DRF, name, None, None
    if isinstance(field, relations.ManyRelatedField):
        child = field.child_relation
        plain_child = (
            isinstance(child, relations.PrimaryKeyRelatedField)
            and child.pk_field is None
            and _same(child, "to_representation", relations.PrimaryKeyRelatedField)
        )
        if plain_child and _same(field, "get_attribute", relations.ManyRelatedField):
            return MANY_PKS, name, sources[0], None
        return DRF, name, None, None
    if isinstance(field, relations.PrimaryKeyRelatedField):
        attname = _attname(model, sources[0])
        plain = (
            field.pk_field is None
            and attname is not None
            and _same(field, "get_attribute", relations.RelatedField)
            and _same(field, "use_pk_only_optimization", relations.PrimaryKeyRelatedField)
            and _same(field, "to_representation", relations.PrimaryKeyRelatedField)
        )
        return (PLAIN, name, attname, None) if plain else (DRF, name, None, None)
    if not _same(field, "get_attribute", drf_fields.Field):
        return DRF, name, None, None
    return PLAIN, name, sources[0], _converter(field)


def _context_free(field: Any) -> bool:
    """Whether a field read by `PLAIN` or `MANY_PKS` gives the same value whatever serializer
    it is bound to: its `to_representation` is DRF's or the kernel's (`brm.core.api_fields`),
    and not a file's (DRF builds a file's URL from the request in the context)."""
    if isinstance(field, drf_fields.FileField):
        return False
    module = getattr(type(field).to_representation, "__module__", "") or ""
    return module.startswith("rest_framework.") or module == "brm.core.api_fields"


class RowPlan:
    """How one serializer instance turns a model instance into its dict, worked out once from
    its bound readable fields (`plan_field`).

    `shareable`: every field is read without DRF (`PLAIN` or `MANY_PKS`) and by a field that
    never looks at its serializer or the request (`_context_free`), so the plan gives the same
    rows for any serializer of the class in the same language and time zone (`shared_plan`)."""

    def __init__(self, serializer: Any) -> None:
        meta = getattr(serializer, "Meta", None)
        model = getattr(meta, "model", None)
        self.steps = [(*plan_field(field, model), field) for field in serializer._readable_fields]
        # Model properties the serializer declares as reading the row's own columns only.
        self.column_properties = frozenset(getattr(meta, "column_properties", ()))
        self.shareable = all(
            kind is not DRF and _context_free(field) for kind, _, _, _, field in self.steps
        )

    def reads_columns_only(self, queryset: QuerySet[Any]) -> bool:
        """Whether every value this plan reads from a row of `queryset` is a column of the
        row's own table (a foreign key by its column), an annotation of `queryset` or a to-many
        relation read as ids: then no object joined to the row (`select_related`) is read.

        A model property counts when the serializer's `Meta.column_properties` names it: a
        property that reads nothing but the row's own columns (`Complaint.is_overdue`), which
        only its author can tell (`over_workload_limit` reads its service)."""
        model = queryset.model
        columns = {field.attname for field in model._meta.concrete_fields}
        known = columns | set(queryset.query.annotations) | {"pk"} | self.column_properties
        return all(
            kind is MANY_PKS or (kind is PLAIN and attr in known)
            for kind, _, attr, _, _ in self.steps
        )

    def represent(self, instance: models.Model) -> dict[str, Any]:
        """The row as DRF's `Serializer.to_representation` would give it, key order included."""
        ret: dict[str, Any] = {}
        for kind, name, attr, convert, field in self.steps:
            if kind is PLAIN:
                try:
                    value = getattr(instance, attr)  # type: ignore[arg-type]
                except Exception:  # noqa: BLE001 - DRF decides: a default, None, skip or raise
                    value = _DRF_READS
                if value is None:
                    ret[name] = None
                    continue
                if value is not _DRF_READS and not callable(value):
                    ret[name] = value if convert is None else convert(value)
                    continue
            elif kind is MANY_PKS and instance.pk is not None:
                loaded = instance.__dict__.get(PK_LISTS)
                if loaded is not None and attr in loaded:
                    ret[name] = loaded[attr]
                    continue
                try:
                    manager = getattr(instance, attr)  # type: ignore[arg-type]
                except Exception:  # noqa: BLE001 - as above
                    manager = None
                if hasattr(manager, "all"):
                    ret[name] = [row.pk for row in manager.all()]
                    continue
            try:
                ret[name] = represent_as_drf(field, instance)
            except SkipField:
                continue
        return ret


# (serializer class, language, time zone) -> its shareable RowPlan, or None when it has none.
_shared_plans: dict[tuple[type, str | None, str], RowPlan | None] = {}


def shared_plan(serializer_class: type) -> RowPlan | None:
    """The `RowPlan` every serializer of `serializer_class` may use in the current language
    and time zone, built once from a serializer made without context (so it holds no request);
    None when the class's plan is not `shareable` (each serializer then builds its own).

    A list of 50 rows otherwise built its serializer's fields (a deep copy of every field, its
    querysets included) and the plan on every request: about 1 ms of a review list (issue 14).
    The zone is part of the key because datetime fields are pinned to it (`pin_time_zone`)."""
    key = (serializer_class, get_language(), str(timezone.get_current_timezone()))
    if key in _shared_plans:
        return _shared_plans[key]
    plan: RowPlan | None = RowPlan(serializer_class(context={}))
    if plan is not None and not plan.shareable:
        plan = None
    _shared_plans[key] = plan
    return plan


class FastRepresentationMixin:
    """A serializer whose `to_representation` of a model instance uses `RowPlan`: the class's
    `shared_plan` where it has one, else one built on the first row and reused for every row
    of a list (the child of a ListSerializer is one instance). Dicts and other objects go to
    DRF's own. Fields must not be added or removed after the first row is represented, nor
    differ between serializers of one class (no serializer of the API does either)."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)  # type: ignore[misc,no-any-return]
        plan: RowPlan | None = self.__dict__.get("_row_plan")
        if plan is None:
            plan = shared_plan(type(self)) or RowPlan(self)
            self.__dict__["_row_plan"] = plan
        return plan.represent(instance)


# serializer class -> the to-many relations (source names) it sends as plain lists of ids.
_pk_list_sources: dict[type, frozenset[str]] = {}


def pk_list_sources(serializer_class: type, make: Callable[[], Any]) -> frozenset[str]:
    """The relations (source attribute names) that serializers of `serializer_class` send as
    plain lists of ids (`MANY_PKS`), worked out once per class from the instance `make()` gives
    (called on the first request only): a field's kind depends on its class and arguments,
    never on the request."""
    known = _pk_list_sources.get(serializer_class)
    if known is None:
        serializer = make()
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        steps = [plan_field(field, model) for field in serializer._readable_fields]
        known = frozenset(attr for kind, _, attr, _ in steps if kind is MANY_PKS and attr)
        _pk_list_sources[serializer_class] = known
    return known


def _back_name(model: type[models.Model], name: str) -> str | None:
    """The name the related model filters `model`'s to-many relation `name` by (as Django's
    own prefetch does), or None when `name` is not a plain to-many relation of `model`."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not (field.many_to_many or field.one_to_many):
        return None
    if isinstance(field, ForeignObjectRel):  # a reverse relation: by its accessor name only
        return str(field.field.name) if field.get_accessor_name() == name else None
    return str(field.related_query_name())  # type: ignore[attr-defined]


def split_pk_prefetches(
    queryset: QuerySet[Any], sources: Iterable[str]
) -> tuple[QuerySet[Any], list[tuple[str, str, QuerySet[Any]]]]:
    """`queryset` without its prefetches of the relations in `sources` that `load_pk_lists`
    can read as ids, and those relations as (name, back name, related queryset): a `Prefetch`'s
    own queryset (its scope and ordering) or the related model's default manager. Prefetches
    through several relations, into `to_attr` or over a sliced queryset stay as they are."""
    wanted = set(sources)
    lookups = getattr(queryset, "_prefetch_related_lookups", ())
    if not wanted or not lookups:
        return queryset, []
    kept: list[Any] = []
    taken: list[tuple[str, str, QuerySet[Any]]] = []
    for lookup in lookups:
        prefetch = lookup if isinstance(lookup, Prefetch) else None
        name = prefetch.prefetch_to if prefetch else lookup
        related = prefetch.queryset if prefetch else None
        back = _back_name(queryset.model, name) if name in wanted else None
        plain = prefetch is None or (prefetch.to_attr is None and prefetch.prefetch_through == name)
        if back is None or not plain or (related is not None and related.query.is_sliced):
            kept.append(lookup)
            continue
        if related is None:
            target: Any = queryset.model._meta.get_field(name).related_model
            related = target._default_manager.all()
        taken.append((name, back, related))
    if not taken:
        return queryset, []
    return queryset.prefetch_related(None).prefetch_related(*kept), taken


class _AnyOf(Lookup):
    """`lhs = ANY(%s)` (PostgreSQL): the row ids as one array parameter, so the SQL is the
    same for any page (an `IN` list has a placeholder per id). A filter expression only."""

    lookup_name = "brm_any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # bigint[]: one array type whatever the ids' sizes (the driver picks by value).
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, self.rhs)


# Integer columns: their values come back from the database as Python ints with no converter.
_INTEGER_KEYS = frozenset(
    {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}
)
# Stands for the page's row ids in a cached statement's parameters.
_KEYS = object()
# (list model, relation, related model, related ordering) -> (database alias, SQL, parameters).
_pair_statements: dict[tuple[Any, ...], tuple[str, str, tuple[Any, ...]]] = {}


def _plain_related(related: QuerySet[Any]) -> bool:
    """Whether `related` is its model's rows in some order and nothing else (no filter, join,
    annotation, slice, distinct, extra or database hint; `only()` does not count, the pairs
    select their own columns): then its pair query is the same SQL on every request."""
    query = related.query
    return (
        type(query) is Query
        and not query.where
        and not query.annotations
        and not query.extra
        and not query.extra_order_by
        and not query.select_related
        and not query.distinct
        and not query.combinator
        and not query.values_select
        and query.group_by is None
        and not query.is_sliced
        and not related._hints  # type: ignore[attr-defined]
        and all(isinstance(item, str) for item in query.order_by)
    )


def _integer_key(field: Any) -> bool:
    return field is not None and field.get_internal_type() in _INTEGER_KEYS


def _pair_statement(
    model: type[models.Model], name: str, back: str, related: QuerySet[Any]
) -> tuple[str, str, tuple[Any, ...]] | None:
    """(database alias, SQL, parameters with `_KEYS` for the row ids) of the relation's
    (row id, related id) query, compiled once per relation and ordering; None when the
    relation's query must be built each time (a scoped or annotated related queryset, keys that
    are not plain integers)."""
    query = related.query
    key = (
        model,
        name,
        related.model,
        related.db,
        tuple(query.order_by),
        query.default_ordering,
        query.standard_ordering,
    )
    # Plainness first, on every call: the key says nothing of a scoped queryset's filter.
    # The replays' one switch (brm.core.statements) turns these off too.
    if not settings.BRM_STATEMENTS or not _plain_related(related):
        return None
    known = _pair_statements.get(key)
    if known is not None:
        return known
    if not (
        connections[related.db].vendor == "postgresql"
        and _integer_key(model._meta.pk)
        and _integer_key(related.model._meta.pk)
    ):
        return None
    pairs = (
        stable_order(related.prefetch_related(None))
        .filter(_AnyOf(F(back), _KEYS))
        .values_list(back, "pk")
    )
    sql, params = pairs.query.get_compiler(related.db).as_sql()
    if sum(param is _KEYS for param in params) != 1:
        return None
    _pair_statements[key] = (related.db, sql, tuple(params))
    return _pair_statements[key]


def _pairs(
    model: type[models.Model], name: str, back: str, related: QuerySet[Any], keys: list[Any]
) -> Iterable[tuple[Any, Any]]:
    """The (row id, related id) pairs of `keys` in the relation's order (see `load_pk_lists`)."""
    statement = _pair_statement(model, name, back, related)
    if statement is None or not all(type(key) is int for key in keys):
        return (
            stable_order(related.prefetch_related(None))
            .filter(**{f"{back}__in": keys})
            .values_list(back, "pk")
        )
    alias, sql, params = statement
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [keys if param is _KEYS else param for param in params])
        pairs: list[tuple[Any, Any]] = cursor.fetchall()
    return pairs


def load_pk_lists(rows: Sequence[Any], relations: list[tuple[str, str, QuerySet[Any]]]) -> None:
    """Reads, for each relation of `split_pk_prefetches`, the ids related to each of `rows`
    (one query of (row id, related id) pairs per relation, in the related queryset's order
    with the primary key as tie-breaker) and leaves them in each row's `__dict__[PK_LISTS]`.

    A relation whose related queryset is plain (`_plain_related`: the default manager or a
    `Prefetch` that only orders) runs SQL compiled on its first list (`_pair_statement`, the
    row ids one array parameter): building and compiling the query was most of the CPU a
    review list spent on its three relations (issue 14)."""
    models_ = [row for row in rows if isinstance(row, models.Model)]
    keys = [row.pk for row in models_ if row.pk is not None]
    for name, back, related in relations:
        ids: defaultdict[Any, list[Any]] = defaultdict(list)
        if keys:
            for key, pk in _pairs(type(models_[0]), name, back, related, keys):
                ids[key].append(pk)
        for row in models_:
            row.__dict__.setdefault(PK_LISTS, {})[name] = ids.get(row.pk, [])


__all__ = [
    "PK_LISTS",
    "FastRepresentationMixin",
    "RowPlan",
    "load_pk_lists",
    "pk_list_sources",
    "plan_field",
    "represent_as_drf",
    "shared_plan",
    "split_pk_prefetches",
]
