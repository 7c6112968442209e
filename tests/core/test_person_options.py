"""`{% person_options %}` writes what the dashboard's BRM filter loop wrote, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD_LOOP = (
    '{% load brm %}{% for u in brms %}<option value="{{ u.pk }}" '
    '{% if brm == u.pk|stringformat:"s" %}selected{% endif %}>{{ u|person }}</option>{% endfor %}'
)
NEW_TAG = "{% load brm %}{% person_options brms brm %}"


@pytest.mark.parametrize("pick", ["none", "first", "second", "unknown", "garbage"])
def test_person_options_write_what_the_loop_wrote(pick: str) -> None:
    people: list[Any] = [
        UserFactory.create(username="plain", first_name="", last_name=""),
        UserFactory.create(username="x", first_name='<b>"Ann" & Co</b>', last_name="O'Neil"),
        UserFactory.create(username="z", first_name="Zoë", last_name=""),
    ]
    brm = {
        "none": "",
        "first": str(people[0].pk),
        "second": str(people[1].pk),
        "unknown": "999999",
        "garbage": "<script>",
    }[pick]
    context = {"brms": people, "brm": brm}
    old = Template(OLD_LOOP).render(Context(context))
    assert Template(NEW_TAG).render(Context(context)) == old
    assert "<b>" not in old  # names are escaped
