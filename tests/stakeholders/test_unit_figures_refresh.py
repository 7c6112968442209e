"""The unit page's key figures refresh with the timeline after a meeting is logged (issue 15)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from stakeholders import services
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_the_timeline_refresh_carries_fresh_figures_out_of_band(client, brm, unit_a):
    StakeholderFactory.create(unit=unit_a, name="Laura Finch")
    client.force_login(brm)
    before = client.get(f"/units/{unit_a.pk}/timeline/", HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'id="unit-figures"[^>]*hx-swap-oob="true"', before)
    assert "never" in before  # no contact yet

    services.log_interaction(
        unit_a,
        actor=brm,
        fields={
            "kind": "formal_meeting",
            "occurred_at": timezone.now() - timedelta(hours=1),
            "summary": "Quarterly catch-up",
            "sentiment": 1,
            "notes": "",
        },
        attendees=[],
        it_participants=[],
    )
    after = client.get(f"/units/{unit_a.pk}/timeline/", HTTP_HX_REQUEST="true").content.decode()
    figures = after[after.index('id="unit-figures"') :]
    last_contact = figures[figures.index("Last contact") :][:200]
    assert "never" not in last_contact and "ago" in last_contact


def test_the_full_page_has_no_out_of_band_markup(client, brm, unit_a):
    client.force_login(brm)
    html = client.get(f"/units/{unit_a.pk}/").content.decode()
    assert 'id="unit-figures"' in html
    assert "hx-swap-oob" not in html


def test_paging_older_entries_does_not_resend_the_figures(client, brm, unit_a):
    client.force_login(brm)
    older = client.get(
        f"/units/{unit_a.pk}/timeline/?before=2026-01-01T00:00:00Z", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "unit-figures" not in older
