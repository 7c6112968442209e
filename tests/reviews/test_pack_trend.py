"""The performance pack's Trend column is a chart fed by one json_script per service (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reviews import services
from tests.reviews.conftest import NOW
from tests.test_chart_data import canvas_sources_resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_it_draws_the_pack_trend_from_a_json_script_per_service(
    client, brm, unit_a, cfo, email_service
):
    review = services.plan_review(
        unit_a, actor=brm, scheduled_at=NOW + timedelta(days=7), attendees=[cfo]
    )
    client.force_login(brm)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert f'<script id="trend-{email_service.pk}" type="application/json">' in page
    assert f'data-source="trend-{email_service.pk}"' in page
    assert canvas_sources_resolve(page) == []
