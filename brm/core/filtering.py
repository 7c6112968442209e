"""Filter pieces shared by every list's FilterSet (issue 15: filters that did not filter).

`FlagFilter` is the one way a yes/no filter reads the query string. django-filter's
BooleanFilter only understood "true"/"false" (and "2"/"3"), so `/units/?mine=1` was ignored
while the page showed the box ticked; a flag here reads every usual spelling and the page ticks
the box from the filter's own cleaned value, never from the raw query string.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import get_language

TRUE = frozenset({"1", "true", "on", "yes", "y", "t"})
FALSE = frozenset({"0", "false", "off", "no", "n", "f"})


class FlagWidget(forms.NullBooleanSelect):
    """Reads "1/true/on/yes" as True, "0/false/off/no" as False, anything else as unset."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool | None:
        value = data.get(name)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if value is not None else ""
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        return None


class FlagFilter(filters.BooleanFilter):
    """A yes/no filter (`?mine=1`, `?overdue=true`, `?mine=on` from a plain checkbox)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", FlagWidget)
        super().__init__(*args, **kwargs)


# For a FilterSet's `FILTER_DEFAULTS`: filters generated from `Meta.fields` for a model's
# BooleanField read flags the same way as declared ones.
FILTER_DEFAULTS: dict[Any, dict[str, Any]] = {
    **filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
    models.BooleanField: {"filter_class": FlagFilter},
}


class _Filters(OrderedDict[str, Any]):
    """A filter set class's filters (`base_filters`), which django-filter deep-copies for every
    filter set it makes: a third of what a list's filters cost per request (issue 14). Here
    `copy.deepcopy` copies each filter one level deep instead: its own attributes and its own
    `extra` (a filter whose queryset is a callable of the request writes the reader's queryset
    there), without the field a schema may have built on the class's filter, and with its
    `method` bound to the copy (django-filter binds it to the filter, and resolves the method on
    the filter's filter set). Nothing else of a filter changes after the class is made."""

    def __deepcopy__(self, memo: dict[int, Any]) -> OrderedDict[str, Any]:
        copies: OrderedDict[str, Any] = OrderedDict()
        for name, filter_ in self.items():
            new = copy.copy(filter_)
            new.extra = dict(filter_.extra)
            new.__dict__.pop("_field", None)
            if isinstance(new.__dict__.get("filter"), filters.filters.FilterMethod):
                new.filter = filters.filters.FilterMethod(new)
            copies[name] = new
        return copies


def repeats_rows(model: type[models.Model], path: str) -> bool | None:
    """Whether filtering `model` on the field path `path` ("unit__name", "attendees") can give
    a row more than once: True when the path crosses a to-many relation (a reverse foreign key
    or a many-to-many), False when every step is a column or a to-one relation, None when the
    path does not name model fields (an annotation: unknown)."""
    meta = model._meta
    for name in path.split(LOOKUP_SEP):
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False  # a column: what follows is a transform or a lookup
        related = field.related_model
        if related is None or not isinstance(related, type):
            return None  # a generic relation: no model to follow
        meta = related._meta
    return False


def _without_needless_distinct(filters_: OrderedDict[str, Any], model: Any) -> None:
    """Turns off `distinct` on every filter in `filters_` whose field path cannot repeat a row
    (`repeats_rows` False), in place, each changed filter a copy (a parent's declared filter is
    shared with its subclasses)."""
    if model is None:
        return
    for name, filter_ in list(filters_.items()):
        if not getattr(filter_, "distinct", False) or not filter_.field_name:
            continue
        path = str(filter_.field_name)
        lookup = filter_.lookup_expr
        if isinstance(lookup, str) and lookup:  # it may follow a relation too ("people__name")
            path = f"{path}{LOOKUP_SEP}{lookup}"
        if repeats_rows(model, path) is False:
            plain = copy.copy(filter_)
            plain.distinct = False
            filters_[name] = plain


class FilterSet(filters.FilterSet):
    """The base of every list's FilterSet: django-filter's, with its form class built once and
    its filters copied one level deep for each filter set (`_Filters`).

    DISTINCT only where a row can repeat (issue 14): django-filter's multiple-choice filters
    (`?status=received&status=acknowledged`) add `.distinct()` by default, for the to-many
    relations that can repeat a row; on a column (a complaint's status, a demand's urgency) it
    only made PostgreSQL sort and compare every selected column, joins included: planning the
    complaint queue's page took 4 ms, four times its execution. Here `distinct` stays on only
    for a filter whose path crosses a to-many relation, or that names no model field
    (`repeats_rows`), whatever the filter class's default.

    django-filter builds a new form class for every filter set it makes (each filter's field,
    its label worked out from the model, then `type(...)`): about half of the 1.1 ms a list's
    filters cost on every page and API request (issue 14). The class depends on the filter set's
    class, its filters (a reader who may not see analysis has fewer) and the language (labels);
    it is kept per those. The one part that depends on the request, the choices of a filter
    whose queryset is a callable of the request (a reader's own units), is set on each form
    from its own filter set; the kept class holds none of them (`.none()`), so a field left
    unset would offer and accept nothing rather than another reader's choices.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if type(cls.__dict__.get("base_filters")) is not _Filters:
            kept = _Filters(cls.base_filters)
            _without_needless_distinct(kept, cls._meta.model)  # type: ignore[attr-defined]
            cls.base_filters = kept
        super().__init__(*args, **kwargs)

    @classmethod
    def _form_classes(cls) -> dict[tuple[Any, ...], type[forms.Form]]:
        kept: dict[tuple[Any, ...], type[forms.Form]] | None = cls.__dict__.get("_kept_forms")
        if kept is None:
            kept = {}
            cls._kept_forms = kept  # type: ignore[attr-defined]  # per class, not inherited
        return kept

    def _request_choices(self) -> list[str]:
        return [
            name
            for name, filter_ in self.filters.items()
            if isinstance(filter_, filters.filters.QuerySetRequestMixin)
        ]

    def get_form_class(self) -> type[forms.Form]:
        key = (get_language(), tuple(self.filters))
        kept = self._form_classes()
        form_class = kept.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            for name in self._request_choices():
                field: Any = form_class.base_fields[name]
                queryset = getattr(field, "queryset", None)
                if queryset is not None:
                    field.queryset = queryset.none()
            kept[key] = form_class
        return form_class

    @property
    def form(self) -> Any:
        made = hasattr(self, "_form")
        form = super().form
        if not made:
            for name in self._request_choices():
                filter_: Any = self.filters[name]  # a QuerySetRequestMixin (_request_choices)
                queryset = filter_.get_queryset(self.request)
                if queryset is not None:
                    field: Any = form.fields[name]
                    field.queryset = queryset
        return form
