"""Lost updates in the register (#12): the stakeholder and commitment edit pages refuse a form
opened before someone else's save, and every register endpoint carries ETag / If-Match.

The rule itself is the kernel's (tests/core/test_versions.py); these tests prove each page and
endpoint of this app uses it.
"""

from __future__ import annotations

import pytest

from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory
from tests.versions import assert_etag_and_if_match, assert_stale_edit_refused_then_reapplied

pytestmark = pytest.mark.django_db


def test_the_stakeholder_edit_page_refuses_a_stale_form(client, brm, unit_a):
    person = StakeholderFactory.create(unit=unit_a, job_title="Analyst")
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        f"/stakeholders/{person.pk}/edit/",
        person,
        field="job_title",
        yours="Head of Payroll",
        theirs="Finance Director",
    )


def test_the_commitment_edit_form_refuses_a_stale_form(client, brm, unit_a):
    item = ActionItemFactory.create(unit=unit_a, owner=brm, title="Send the report")
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        f"/commitments/{item.pk}/",
        item,
        field="title",
        yours="Send the report by Friday",
        theirs="Send the monthly report",
    )


@pytest.mark.parametrize("endpoint", ["units", "stakeholders", "interactions", "action-items"])
def test_every_register_endpoint_has_etag_and_if_match(as_user, brm, unit_a, endpoint):
    record = {
        "units": lambda: unit_a,
        "stakeholders": lambda: StakeholderFactory.create(unit=unit_a),
        "interactions": lambda: InteractionFactory.create(unit=unit_a),
        "action-items": lambda: ActionItemFactory.create(unit=unit_a, owner=brm),
    }[endpoint]()
    assert_etag_and_if_match(as_user(brm), f"/api/v1/{endpoint}/{record.pk}/", record)
