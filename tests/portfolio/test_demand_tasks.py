"""The attestation job: after delivery, the sponsor is asked (once per period) to confirm."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from brm.celery import app
from brm.core import delivery
from brm.core.models import OutboundEmail
from portfolio.models import BenefitAttestation, DemandStatus
from portfolio.services import attestation
from portfolio.tasks import attestation as tasks
from tests.factories import BenefitRecordFactory
from tests.mail import refusing_mail
from tests.portfolio import demand_fixtures
from tests.portfolio.demand_fixtures import with_case

# The shared fixtures, made visible to pytest in this module.
demand_a = demand_fixtures.demand_a
pytestmark = pytest.mark.django_db
DELIVERED = timezone.make_aware(datetime(2026, 1, 10, 12))


@pytest.fixture
def delivered(demand_a):
    with_case(demand_a, DemandStatus.DELIVERED)
    demand_a.delivered_at = DELIVERED
    demand_a.save()
    return demand_a


def test_it_asks_nothing_before_the_first_period_ends(delivered):
    with time_machine.travel(DELIVERED + timedelta(days=89)):
        assert attestation.open_due_attestations() == []


def test_it_creates_one_request_per_period_however_often_it_runs(
    delivered, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(DELIVERED + timedelta(days=91)),
        mock.patch.object(delivery.deliver_email, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.request_benefit_attestations() == 1
        assert tasks.request_benefit_attestations() == 0
    att = BenefitAttestation.objects.get()
    assert (att.round, att.due_on) == (1, DELIVERED.date() + timedelta(days=90))
    delay.assert_called_once_with(_email_of(att).pk)


def test_it_queues_the_email_only_after_the_request_is_committed(
    delivered, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(DELIVERED + timedelta(days=91)),
        mock.patch.object(delivery.deliver_email, "delay") as delay,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        assert tasks.request_benefit_attestations() == 1
    # Nothing reaches the broker before the row exists for the worker to read.
    delay.assert_not_called()
    assert len(callbacks) == 1


def test_it_asks_again_in_the_next_period(delivered):
    with time_machine.travel(DELIVERED + timedelta(days=91)):
        attestation.open_due_attestations()
    with time_machine.travel(DELIVERED + timedelta(days=181)):
        attestation.open_due_attestations()
    assert sorted(BenefitAttestation.objects.values_list("round", flat=True)) == [1, 2]


def test_it_stops_after_the_configured_rounds():
    assert attestation.attestation_due(
        DELIVERED.date(), DELIVERED.date() + timedelta(days=3650), 90, 4
    ) == (4, DELIVERED.date() + timedelta(days=360))


def _email_of(att: BenefitAttestation) -> OutboundEmail:
    return OutboundEmail.objects.get(key=f"{attestation.ATTESTATION_EMAIL}:{att.pk}")


def _request(demand) -> BenefitAttestation:
    """A request and its email, as `open_due_attestations` records them (not yet sent)."""
    att = BenefitAttestation.objects.create(demand=demand, due_on=DELIVERED.date(), round=1)
    delivery.enqueue(attestation.ATTESTATION_EMAIL, att.pk, queue=False)
    return att


def test_it_emails_the_sponsor_a_confirmation_link_once(delivered, mailoutbox):
    att = _request(delivered)
    assert delivery.deliver_email(_email_of(att).pk) is True
    assert delivery.deliver_email(_email_of(att).pk) is False
    [mail] = mailoutbox
    assert mail.to == [delivered.sponsor.email]
    assert f"{settings.SITE_URL}/demands/attest/" in mail.body  # the signed no-login link
    att.refresh_from_db()
    assert att.sent_at is not None and att.recipients == delivered.sponsor.email


def test_a_failed_send_is_never_marked_sent_and_goes_later(delivered, mailoutbox, settings):
    att = _request(delivered)
    saved = settings.MAILERS
    refusing_mail(settings)
    assert delivery.deliver(_email_of(att).pk) is False
    att.refresh_from_db()
    assert att.sent_at is None and _email_of(att).state == "pending"
    settings.MAILERS = saved
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert delivery.sweep() == 1
        assert delivery.sweep() == 0
    att.refresh_from_db()
    assert att.sent_at is not None and len(mailoutbox) == 1


def test_a_sponsor_without_email_is_skipped(delivered, mailoutbox):
    delivered.sponsor.email = ""
    delivered.sponsor.save()
    att = _request(delivered)
    assert delivery.deliver(_email_of(att).pk) is False
    assert _email_of(att).state == "skipped" and mailoutbox == []


def test_celery_registers_every_portfolio_job_under_its_scheduled_name():
    # Autodiscovery imports `portfolio.tasks`; the beat schedule names must match what it finds.
    app.loader.import_default_modules()
    scheduled = {
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if str(entry["task"]).startswith("portfolio.")
    }
    assert scheduled == {"portfolio.tasks.attestation.request_benefit_attestations"}
    assert scheduled | {"brm.core.deliver_email", "brm.core.sweep_outbound_emails"} <= set(
        app.tasks
    )


def test_the_email_states_the_figures_in_the_sites_currency(delivered, mailoutbox, settings):
    """One currency (issue 15): the email's amounts use the money filter and BRM_CURRENCY."""
    settings.BRM_CURRENCY = "GBP"
    BenefitRecordFactory.create(demand=delivered, planned_amount=1250000, realised_amount=980000)
    att = _request(delivered)
    assert delivery.deliver_email(_email_of(att).pk) is True
    [mail] = mailoutbox
    assert "So far: £1,250,000 planned, £980,000 realised, of which £0 already confirmed." in (
        mail.body
    )
