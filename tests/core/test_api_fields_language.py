"""Model serializers' fields are worked out once per class (issue 14), but what DRF writes into
them in the active language stays the reader's (issue 17): a unique field's message is
formatted when the field is built, so one request must not fix it for the next ones."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/v1/units/"


def test_a_unique_fields_message_follows_each_callers_language(as_user, admin_user, unit_a):
    api = as_user(admin_user)
    taken = {"name": unit_a.name, "code": "other"}

    spanish = api.post(URL, taken, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = api.post(URL, taken, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert (spanish.status_code, english.status_code) == (400, 400)
    assert english.json()["name"] == ["business unit with this name already exists."]
    assert spanish.json()["name"] != english.json()["name"]
