"""The commitments page offers "done" on the rows the user may change, read from the rows'
units by the one rule (`is_editable_by`) instead of a query of every unit they may change
(issue 14): an administrator on every row, a BRM on their units' rows, an executive on none."""

from __future__ import annotations

import pytest
from django.test import Client

from stakeholders.models import ActionStatus
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "offered"),
    [("admin_user", {"Finance", "Operations"}), ("brm", {"Finance"}), ("executive", set())],
)
def test_it_offers_done_on_the_rows_the_user_may_change(
    request, client, unit_a, unit_b, who, offered
):
    for unit in (unit_a, unit_b):
        ActionItemFactory.create(unit=unit, title=f"Promise to {unit.name}")
    client.force_login(request.getfixturevalue(who))
    page = client.get("/commitments/?mine=false").content.decode()
    rows = page.split('<tr id="commitment-')[1:]
    assert len(rows) == 2
    with_done = {
        name for name in ("Finance", "Operations") for r in rows if name in r and "/done/" in r
    }
    assert with_done == offered


def test_the_done_button_posts_with_the_pages_csrf_token(brm, unit_a):
    # The row tag writes the form's token as {% csrf_token %} does (Django's own node): a client
    # that enforces CSRF can mark the promise done with what the page gave it.
    item = ActionItemFactory.create(unit=unit_a, title="Send the report")
    client = Client(enforce_csrf_checks=True)
    client.force_login(brm)
    page = client.get("/commitments/?mine=false").content.decode()
    (row,) = page.split('<tr id="commitment-')[1:]
    token = row.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    action = row.split('<form method="post" action="')[1].split('"')[0]
    response = client.post(action, {"csrfmiddlewaretoken": token, "next": "/commitments/"})
    assert response.status_code in {200, 302}
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
