"""`SingletonSettings.get()`: read through a replayed statement, still one query that sees
every edit at once, and the row made with the code's defaults on first use (issue 14)."""

from __future__ import annotations

import pytest
from django.apps import apps

from brm.core.models.base import SingletonSettings

pytestmark = pytest.mark.django_db

EDITABLE = {
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "CharField",
    "TextField",
}

SETTINGS_MODELS = [
    m for m in apps.get_models() if issubclass(m, SingletonSettings) and not m._meta.abstract
]


@pytest.mark.parametrize("model", SETTINGS_MODELS, ids=lambda m: m._meta.label)
@pytest.mark.usefixtures("nothing_kept")
def test_get_makes_the_row_then_reads_every_edit_in_one_query(model, django_assert_num_queries):
    model.objects.all().delete()
    first = model.get()  # no row yet: made with the defaults
    assert first.pk == 1 and not first._state.adding
    made = model.objects.get(pk=1)
    for field in model._meta.concrete_fields:
        assert getattr(first, field.attname) == getattr(made, field.attname)

    # Learned now; an edit made afterwards (another worker, the admin) is read at once.
    model.get()
    edited = next(
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.get_internal_type() in EDITABLE
    )
    before = getattr(made, edited.attname)
    after = before + 1 if isinstance(before, int) else f"{before}x"
    model.objects.filter(pk=1).update(**{edited.attname: after})
    with django_assert_num_queries(1):
        again = model.get()
    assert getattr(again, edited.attname) == after
    assert again._state.db == "default" and not again._state.adding
    again.save()  # an instance the ORM can save (an UPDATE of pk 1, not a second row)
    assert model.objects.count() == 1
