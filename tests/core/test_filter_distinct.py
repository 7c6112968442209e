"""DISTINCT only where a row can repeat (brm.core.filtering, issue 14).

django-filter's multiple-choice filters add `.distinct()` by default. On a column (a complaint's
status, a demand's urgency) that made PostgreSQL sort and compare every selected column of the
page, joins included; planning the complaint queue's page took 4 ms. Every FilterSet of the
project now keeps `distinct` only on a filter whose path crosses a to-many relation, or names
no model field, and such a filter still gives each row once.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import pytest
from django.test import RequestFactory

from brm import urls  # noqa: F401  imports every app's API views, and with them every FilterSet
from brm.core.filtering import FilterSet, repeats_rows
from complaints.filters import ComplaintFilterSet
from complaints.models import Complaint
from portfolio.filters.demand import DemandFilterSet
from portfolio.models import Demand
from reviews.models import ServiceReview
from stakeholders.models import ActionItem, BusinessUnit, Interaction, Stakeholder
from tests.factories import (
    ComplaintFactory,
    DemandFactory,
    InteractionFactory,
    StakeholderFactory,
)


def _model(filterset_class: type[FilterSet]) -> Any:
    return filterset_class._meta.model  # type: ignore[attr-defined]  # set by django-filter


def _all_filtersets() -> list[type[FilterSet]]:
    found: list[type[FilterSet]] = []
    todo: list[type[FilterSet]] = [FilterSet]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if _model(sub) is not None:
                found.append(sub)
    return sorted(found, key=lambda c: c.__qualname__)


def test_repeats_rows_follows_the_path() -> None:
    assert repeats_rows(Complaint, "status") is False
    assert repeats_rows(Complaint, "unit__name") is False  # to-one, then a column
    assert repeats_rows(Complaint, "unit__brm__username") is False
    assert repeats_rows(Interaction, "attendees") is True  # many-to-many
    assert repeats_rows(ServiceReview, "services__name") is True
    assert repeats_rows(BusinessUnit, "stakeholders") is True  # a reverse foreign key
    assert repeats_rows(Complaint, "due_at") is None  # an annotation: not known here
    assert repeats_rows(Complaint, "status__in") is False  # a lookup after a column
    assert repeats_rows(ActionItem, "review_link__review") is False  # a reverse one-to-one
    assert repeats_rows(Interaction, "unit__stakeholders__name") is True  # to-one, then many


def test_a_lookup_that_follows_a_to_many_relation_keeps_distinct() -> None:
    class ByUnitPeople(FilterSet):
        people = filters.MultipleChoiceFilter(
            field_name="unit", lookup_expr="stakeholders__name", choices=[("Ann", "Ann")]
        )

        class Meta:
            model = Interaction
            fields: list[str] = []

    made = ByUnitPeople({}, queryset=Interaction.objects.none())
    assert made.filters["people"].distinct


def test_a_parents_declared_filter_is_copied_not_changed() -> None:
    """The class's own declared filter stays as django-filter made it: only the copy a filter
    set uses is plain (a subclass on another model decides for itself)."""
    ComplaintFilterSet({}, queryset=Complaint.objects.none())
    assert ComplaintFilterSet.declared_filters["status"].distinct
    assert not ComplaintFilterSet.base_filters["status"].distinct


def test_the_project_has_filtersets_to_check() -> None:
    names = {cls.__name__ for cls in _all_filtersets()}
    assert {"ComplaintFilterSet", "DemandFilterSet", "InteractionFilterSet"} <= names


@pytest.mark.parametrize("filterset_class", _all_filtersets(), ids=lambda c: c.__name__)
def test_every_filter_on_a_column_or_to_one_path_is_not_distinct(
    filterset_class: type[FilterSet],
) -> None:
    model = _model(filterset_class)
    made = filterset_class({}, queryset=model.objects.none())
    for name, filter_ in made.filters.items():
        if filter_.field_name and repeats_rows(model, filter_.field_name) is False:
            assert not filter_.distinct, f"{filterset_class.__name__}.{name}"


def test_the_declared_to_many_filter_keeps_distinct() -> None:
    from stakeholders.filters import InteractionFilterSet

    made = InteractionFilterSet({}, queryset=Interaction.objects.none())
    assert made.filters["stakeholder"].distinct  # attendees: a many-to-many


@pytest.mark.django_db
def test_a_status_filter_pages_every_complaint_once_without_distinct(brm: Any) -> None:
    made: list[Any] = [
        ComplaintFactory(status=s) for s in ("received", "acknowledged", "acknowledged")
    ]
    ComplaintFactory(status="closed")
    request = RequestFactory().get("/complaints/", {"status": ["received", "acknowledged"]})
    request.user = brm
    filterset = ComplaintFilterSet(request.GET, queryset=Complaint.objects.all(), request=request)
    qs = filterset.qs
    assert not qs.query.distinct
    assert sorted(c.pk for c in qs) == sorted(c.pk for c in made)
    assert qs.count() == 3


@pytest.mark.django_db
def test_a_demand_status_and_urgency_filter_is_not_distinct(brm: Any) -> None:
    kept: Any = DemandFactory(status="idea", urgency="high")
    DemandFactory(status="idea", urgency="low")
    request = RequestFactory().get("/demands/", {"status": ["idea"], "urgency": ["high"]})
    request.user = brm
    qs = DemandFilterSet(request.GET, queryset=Demand.objects.all(), request=request).qs
    assert not qs.query.distinct
    assert [d.pk for d in qs] == [kept.pk]


@pytest.mark.django_db
def test_a_multiple_choice_filter_across_a_to_many_relation_gives_each_row_once(
    unit_a: Any,
) -> None:
    """Two chosen attendees of one meeting match it twice through the join: DISTINCT stays."""

    class ByAttendees(FilterSet):
        attendees = filters.ModelMultipleChoiceFilter(queryset=Stakeholder.objects.all())

        class Meta:
            model = Interaction
            fields = ["attendees"]

    one: Any = StakeholderFactory(unit=unit_a)
    two: Any = StakeholderFactory(unit=unit_a)
    meeting: Any = InteractionFactory(unit=unit_a)
    meeting.attendees.set([one, two])
    qs = ByAttendees({"attendees": [one.pk, two.pk]}, queryset=Interaction.objects.all()).qs
    assert qs.query.distinct
    assert [i.pk for i in qs] == [meeting.pk]
    # Without it the join gives the meeting twice: the case DISTINCT is there for.
    assert Interaction.objects.filter(attendees__in=[one, two]).count() == 2
