"""`{% select_options %}` and `{% choice_options %}` write what the filter forms' option loops
wrote (issue 14): the same options, labels in the active language, the submitted ones
selected, byte for byte."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation

from complaints.filters import ComplaintFilterSet
from stakeholders.filters import StakeholderFilterSet
from tests.factories import BusinessUnitFactory

SINGLE_LOOP = (
    "{% for value, label in filter.form.role_type.field.choices %}{% if value %}"
    '<option value="{{ value }}" {% if filter.form.role_type.value == value %}selected'
    "{% endif %}>{{ label }}</option>{% endif %}{% endfor %}"
)
MULTIPLE_LOOP = (
    "{% for value, label in filter.form.severity.field.choices %}"
    '<option value="{{ value }}" {% if value in chosen %}selected{% endif %}>{{ label }}'
    "</option>{% endfor %}"
)


def _render(source: str, **context: object) -> str:
    return Template("{% load brm %}" + source).render(Context(context))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("query", ["", "role_type=sponsor", "role_type=nonsense", "role_type="])
def test_it_writes_a_single_select_as_the_loop(language: str, query: str) -> None:
    filterset = StakeholderFilterSet(QueryDict(query), queryset=None)
    with translation.override(language):
        ours = _render(
            "{% select_options filter.form.role_type.field.choices filter.form.role_type.value %}",
            filter=filterset,
        )
        assert ours == _render(SINGLE_LOOP, filter=filterset)
    assert ours.count("<option") == 5
    assert ours.count(" selected>") == (1 if query == "role_type=sponsor" else 0)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("chosen", [[], ["high"], ["low", "critical"], ["nonsense"]])
def test_it_writes_a_multiple_select_as_the_loop(language: str, chosen: list[str]) -> None:
    filterset = ComplaintFilterSet(QueryDict(), queryset=None)
    with translation.override(language):
        ours = _render(
            "{% select_options filter.form.severity.field.choices chosen %}",
            filter=filterset,
            chosen=chosen,
        )
        assert ours == _render(MULTIPLE_LOOP, filter=filterset, chosen=chosen)
    assert ours.count(" selected>") == len(set(chosen) - {"nonsense"})


def test_it_escapes_values_and_labels() -> None:
    ours = _render(
        "{% select_options choices chosen %}",
        choices=[("", "blank"), ('a"b', "<i>x</i>"), ("2", "two")],
        chosen=2,
    )
    assert ours == (
        '<option value="a&quot;b" >&lt;i&gt;x&lt;/i&gt;</option><option value="2" selected>two'
        "</option>"
    )


@pytest.mark.django_db
def test_it_writes_the_units_as_the_loop_did() -> None:
    units = [BusinessUnitFactory.create(name=name) for name in ("B & Co", "A <x>", "C")]
    filterset = StakeholderFilterSet(QueryDict(f"unit={units[0].pk}"), queryset=None, request=None)
    filterset.form.fields["unit"].queryset = type(units[0]).objects.order_by("name")
    ours = _render("{% choice_options filter.form.unit %}", filter=filterset)
    loop = _render(
        "{% for pk, name in rows %}"
        '<option value="{{ pk }}" {% if pk == chosen %}selected{% endif %}>{{ name }}</option>'
        "{% endfor %}",
        rows=[(u.pk, u.name) for u in sorted(units, key=lambda u: u.name)],
        chosen=units[0].pk,
    )
    assert ours == loop
    assert ours.count(" selected>") == 1
