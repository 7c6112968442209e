"""Every unit in the review schedule has its next step, planned or not (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import BusinessUnitFactory, ServiceReviewFactory

pytestmark = pytest.mark.django_db


def test_a_unit_with_a_planned_review_offers_to_open_it(client, brm, unit_a):
    other = BusinessUnitFactory.create(name="Legal", code="leg", brm=brm)
    review = ServiceReviewFactory.create(
        unit=unit_a, scheduled_at=timezone.now() + timedelta(days=5)
    )
    client.force_login(brm)
    html = client.get("/reviews/").content.decode()
    schedule = html[
        html.index('id="unit-schedule"') : html.index("</table>", html.index('id="unit-schedule"'))
    ]
    assert f'href="/reviews/{review.pk}/">Open planned review</a>' in schedule
    assert f'href="/reviews/new/?unit={other.pk}">Plan review</a>' in schedule
