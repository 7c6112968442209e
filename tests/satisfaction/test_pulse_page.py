"""The answer page speaks to the reader: no internal template name, one duration, and a pulse
says which complaint or review it asks about (issue 15)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from satisfaction.models import CampaignKind, CampaignStatus, Pulse, PulseSource
from tests.factories import SurveyTemplateFactory

pytestmark = pytest.mark.django_db


def _page(client, raw: str) -> str:
    content: bytes = client.get(reverse("satisfaction:answer", args=[raw])).content
    return content.decode()


def test_a_pulse_names_what_it_asks_about(client, make_campaign, sent_link, unit_a, person):
    template = SurveyTemplateFactory.create(
        name="Pulse (built-in)", intro="Two quick questions. It takes 20 seconds."
    )
    campaign = make_campaign(
        [unit_a],
        template=template,
        name="Pulse: complaint C-2026-00012 (Finance)",
        kind=CampaignKind.PULSE,
        status=CampaignStatus.OPEN,
    )
    Pulse.objects.create(
        source_type=PulseSource.COMPLAINT,
        source_id=12,
        unit=unit_a,
        campaign=campaign,
        note="complaint C-2026-00012",
    )
    _, raw = sent_link(campaign, person)
    html = _page(client, raw)
    assert "Pulse (built-in)" not in html
    assert "About the complaint C-2026-00012" in html
    assert "How did it go?" in html
    durations = re.findall(r"(under a minute|\d+ seconds|\d+ minutes?)", html)
    assert durations == ["20 seconds"]


def test_a_survey_keeps_its_questionnaire_title(client, make_campaign, sent_link, unit_a, person):
    campaign = make_campaign([unit_a], name="Q3", status=CampaignStatus.OPEN)
    _, raw = sent_link(campaign, person)
    html = _page(client, raw)
    assert re.search(r"<h1[^>]*>\s*" + re.escape(campaign.template.name), html)
    assert "How did it go?" not in html
