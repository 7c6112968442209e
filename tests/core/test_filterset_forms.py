"""Every list's FilterSet builds its form class once (brm.core.filtering.FilterSet, issue 14):
what depends on the reader is still each reader's own. A kept class is shared by every reader
of the same filters and language, so the unit choices, which depend on the reader, are set per
form; the kept class offers none."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import translation

from brm.core.filtering import FilterSet
from stakeholders.filters import StakeholderFilterSet
from stakeholders.models import BusinessUnit, Stakeholder

pytestmark = pytest.mark.django_db


def _filterset(user: Any, **data: str) -> StakeholderFilterSet:
    request = RequestFactory().get("/stakeholders/", data)
    request.user = user
    return StakeholderFilterSet(request.GET, queryset=Stakeholder.objects.all(), request=request)


def _choices(filterset: FilterSet) -> set[int]:
    return {unit.pk for unit in filterset.form.fields["unit"].queryset}


def test_each_reader_gets_their_own_unit_choices_from_one_kept_class(
    executive: Any, leader: Any, unit_a: Any, unit_b: Any
) -> None:
    for _ in range(2):  # the second round reads kept classes
        cio, own = _filterset(executive), _filterset(leader)
        assert _choices(cio) == set(BusinessUnit.objects.values_list("pk", flat=True))
        assert _choices(own) == {unit_a.pk}
        # The kept class offers nothing itself: a form whose choices were not set would accept
        # no unit rather than another reader's.
        assert not type(cio.form).base_fields["unit"].queryset.exists()
    # Another unit's id is refused for the leader and taken for the executive.
    assert not _filterset(leader, unit=str(unit_b.pk)).is_valid()
    other = _filterset(executive, unit=str(unit_b.pk))
    assert other.is_valid() and other.form.cleaned_data["unit"] == unit_b


def test_a_reader_without_analysis_has_fewer_filters_and_a_class_of_their_own(
    executive: Any, leader: Any
) -> None:
    cio, own = _filterset(executive), _filterset(leader)
    assert "influence" in cio.form.fields and "influence" not in own.form.fields
    assert type(cio.form) is type(_filterset(executive).form)  # kept
    assert type(cio.form) is not type(own.form)


def test_labels_follow_the_language(executive: Any) -> None:
    labels = {}
    for language in ("en", "es", "en"):
        with translation.override(language):
            form = _filterset(executive).form
            labels[language] = str(form.fields["search"].label)
    assert (labels["en"], labels["es"]) == ("Search", "Buscar")


def test_filters_are_copied_per_filter_set_with_methods_bound_to_their_own(
    brm: Any, other_brm: Any, unit_a: Any, unit_b: Any
) -> None:
    """Each filter set gets its own filters (`_Filters`, one level deep): a filter's method
    ("Only my units") reads its own filter set's reader, not the one made before or after."""
    from stakeholders.filters import BusinessUnitFilterSet

    def mine(user: Any) -> BusinessUnitFilterSet:
        request = RequestFactory().get("/units/", {"mine": "1"})
        request.user = user
        return BusinessUnitFilterSet(request.GET, BusinessUnit.objects.all(), request=request)

    base = BusinessUnitFilterSet.base_filters["parent"]
    base.field  # noqa: B018  a field built on the class's filter (as a schema may) is not shared
    first, second = mine(brm), mine(other_brm)  # both made before either filters
    assert first.filters["mine"] is not second.filters["mine"]
    assert first.filters["mine"].extra is not second.filters["mine"].extra
    assert first.filters["parent"] is not base and "_field" not in first.filters["parent"].__dict__
    assert set(first.qs) == {unit_a} and set(second.qs) == {unit_b}
