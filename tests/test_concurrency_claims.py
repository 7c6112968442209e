"""Single-use under real concurrency: every claim is won once, losers get 409/410, never a 500.

Each test starts N threads on a barrier; every thread has its own database connection (Django's
connections are per thread), so the claims really race inside PostgreSQL. The tests need
committed data, hence `transaction=True`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brm.core import delivery
from brm.core.models import OutboundEmail
from brm.health import plans
from brm.health.models import ImprovementPlan, PlanStatus
from satisfaction.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Invitation,
    Question,
    Response,
    new_token,
)
from tests.factories import StakeholderFactory, SurveyTemplateFactory

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 6


def race(work: Callable[[], Any], n: int = RACERS) -> list[Any]:
    """Run `work` in `n` threads released together; returns each result or raised exception."""
    if connection.vendor != "postgresql":
        pytest.skip("the race is about PostgreSQL's row locking")
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work()
        except Exception as exc:  # noqa: BLE001  # the test inspects what each racer got
            results[i] = exc
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _survey_link(unit: Any, *, anonymous: bool) -> tuple[Campaign, str]:
    template = SurveyTemplateFactory.create(name="Quarterly satisfaction")
    owner = unit.brm
    campaign = Campaign.objects.create(
        template=template,
        name="Q1",
        owner=owner,
        status=CampaignStatus.OPEN,
        anonymous=anonymous,
    )
    campaign.units.set([unit])
    person = StakeholderFactory.create(unit=unit, email="rita@example.org")
    raw, digest = new_token()
    now = timezone.now()
    Invitation.objects.create(
        campaign=campaign,
        stakeholder=person,
        token_hash=digest,
        sent_at=now,
        expires_at=now + timedelta(days=21),
    )
    return campaign, raw


def _answers(campaign: Campaign) -> dict[str, str]:
    q = {x.kind: x for x in Question.objects.filter(template=campaign.template)}
    return {f"q{q['csat'].pk}": "4", f"q{q['nps'].pk}": "9", f"q{q['free_text'].pk}": "Great"}


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
def test_six_simultaneous_submissions_of_one_survey_link_store_one_answer(unit_a, anonymous):
    campaign, raw = _survey_link(unit_a, anonymous=anonymous)
    url = reverse("satisfaction:answer", args=[raw])
    data = _answers(campaign)

    statuses = race(lambda: Client().post(url, data).status_code)

    assert sorted(statuses) == [200] + [410] * (RACERS - 1), statuses
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 3


def test_a_claimed_link_of_a_closed_campaign_is_not_stored(unit_a):
    campaign, raw = _survey_link(unit_a, anonymous=False)
    url = reverse("satisfaction:answer", args=[raw])
    data = _answers(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    assert Client().post(url, data).status_code == 410
    assert Response.objects.count() == 0


def test_simultaneous_plan_starts_open_one_plan(unit_a, brm):
    results = race(lambda: plans.start_plan(unit_a, actor=brm, reason="Sponsor unhappy").pk)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert ImprovementPlan.objects.filter(unit=unit_a, status=PlanStatus.ACTIVE).count() == 1
    assert len(set(results)) == 1  # every caller gets the one active plan


def test_simultaneous_claims_of_one_email_are_won_once(settings):
    kind = next(iter(settings.DELIVERY_COMPOSERS))
    row = OutboundEmail.objects.create(
        kind=kind, ref=1, key="race:1", message_id=delivery.new_message_id()
    )

    won = race(lambda: delivery.claim(row.pk))

    assert sorted(won) == [False] * (RACERS - 1) + [True]
    row.refresh_from_db()
    assert row.attempts == 1
