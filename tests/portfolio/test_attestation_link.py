"""Benefit attestation reaches the sponsor without a login: the email's signed link opens the
confirmation page, confirms once (a second use, or the loser of two concurrent submissions,
gets 410), and a forged link finds nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from brm.core import delivery
from portfolio.models import BenefitAttestation, BenefitRecord, DemandStatus
from portfolio.services import attestation
from tests.factories import BenefitRecordFactory
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a

DELIVERED = timezone.make_aware(datetime(2026, 1, 10, 12))


@pytest.fixture
def request_sent(demand_a, mailoutbox):
    """A delivered demand with one IT-recorded figure and its sent attestation email."""
    with_case(demand_a, DemandStatus.DELIVERED)
    demand_a.delivered_at = DELIVERED
    demand_a.save()
    record = BenefitRecordFactory.create(
        demand=demand_a,
        period_start=DELIVERED.date(),
        period_end=DELIVERED.date() + timedelta(days=90),
        planned_amount=Decimal("100"),
        realised_amount=Decimal("80"),
    )
    att = BenefitAttestation.objects.create(demand=demand_a, due_on=DELIVERED.date(), round=1)
    row = delivery.enqueue(attestation.ATTESTATION_EMAIL, att.pk, queue=False)
    assert delivery.deliver(row.pk)
    [mail] = mailoutbox
    link = next(w for w in mail.body.split() if "/demands/attest/" in w)
    return att, record, link.removeprefix(settings.SITE_URL)


def test_the_sponsor_confirms_through_the_link_without_a_login(client, request_sent):
    att, record, path = request_sent
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm ticked figures" in page.content
    done = client.post(path, {"records": [record.pk]})
    assert done.status_code == 200 and b"Thank you" in done.content
    record.refresh_from_db()
    att.refresh_from_db()
    assert record.confirmed_at is not None and att.answered_at is not None
    # Single use: the same link again is gone.
    assert client.post(path, {"records": [record.pk]}).status_code == 410
    assert client.get(path).status_code == 410


def test_a_forged_or_foreign_link_finds_nothing(client, request_sent):
    att, record, path = request_sent
    assert client.get(path[:-4] + "abc/").status_code == 404
    assert client.get("/demands/attest/not-signed/").status_code == 404
    assert attestation.attestation_for_token(attestation.attestation_token(att.pk)) == att


def test_nothing_ticked_is_a_400_and_the_link_stays_usable(client, request_sent):
    att, record, path = request_sent
    assert client.post(path, {}).status_code == 400
    assert client.post(path, {"records": ["999999"]}).status_code == 400
    att.refresh_from_db()
    assert att.answered_at is None
    assert client.post(path, {"records": [record.pk]}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_confirm_once(request_sent):
    _att, record, path = request_sent
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        try:
            barrier.wait()
            statuses.append(Client().post(path, {"records": [record.pk]}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 410, 410, 410]
    assert BenefitRecord.objects.filter(pk=record.pk, confirmed_at__isnull=False).count() == 1
