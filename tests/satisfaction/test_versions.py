"""Lost updates in surveys (#12): the campaign edit page refuses a form opened before someone
else's save; survey templates and campaigns carry ETag / If-Match."""

from __future__ import annotations

import pytest

from tests.versions import assert_etag_and_if_match, assert_stale_edit_refused_then_reapplied

pytestmark = pytest.mark.django_db


def test_the_campaign_edit_page_refuses_a_stale_form(client, brm, unit_a, make_campaign):
    campaign = make_campaign([unit_a], name="Q1 survey")
    client.force_login(brm)
    assert_stale_edit_refused_then_reapplied(
        client,
        f"/surveys/{campaign.pk}/edit/",
        campaign,
        field="name",
        yours="Q1 survey (finance)",
        theirs="Q1 pulse",
    )


def test_templates_and_campaigns_have_etag_and_if_match(
    as_user, admin_user, brm, unit_a, template, make_campaign
):
    campaign = make_campaign([unit_a])
    assert_etag_and_if_match(as_user(brm), f"/api/v1/campaigns/{campaign.pk}/", campaign)
    assert_etag_and_if_match(
        as_user(admin_user), f"/api/v1/survey-templates/{template.pk}/", template
    )
