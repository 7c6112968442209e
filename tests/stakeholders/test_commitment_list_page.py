"""The commitments page offers "done" on the rows the user may change, read from the rows'
units by the one rule (`is_editable_by`) instead of a query of every unit they may change
(issue 14): an administrator on every row, a BRM on their units' rows, an executive on none."""

from __future__ import annotations

import pytest

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
