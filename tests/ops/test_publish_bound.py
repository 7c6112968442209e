"""A web request never waits on the broker for more than the bound, whatever the broker does.

Filing a complaint through the API saves it and queues its acknowledgement email (an outbox row,
published after commit). With the broker stopped, frozen (SIGSTOP) or busy (DEBUG SLEEP), the
request still answers 201 within 2 s, the email row stays pending, and once the broker is back
a real worker plus the outbox sweep send it exactly once, even when the frozen broker executes
the timed-out publish after it wakes up (the claim lets one send through).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from brm.celery import BrokerUnavailable, publish_channel
from brm.celery import app as celery_app
from brm.core import delivery
from brm.core.models import DeliveryState, OutboundEmail
from complaints.models import Complaint
from tests.conftest import token_client
from tests.ops.conftest import OwnRedis, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BOUND = 2.0  # seconds: the "about two seconds"
URL = "/api/v1/complaints/"


def _file(api, title: str) -> tuple[float, int]:
    started = time.monotonic()
    response = api.post(URL, {"title": title, "description": "Every hour.", "severity": "high"})
    return time.monotonic() - started, response.status_code


def _fault(server: OwnRedis, fault: str):
    """Start the fault; return the function that ends it."""
    if fault == "stopped":
        server.stop()
        return server.start
    if fault == "frozen":
        server.freeze()
        return server.thaw
    thread = server.block(3)  # "slow": busy for longer than any request may wait
    return thread.join


def _send_everything_pending(server: OwnRedis) -> None:
    """A real worker consumes what reached the queue; then the sweep sends what did not."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):  # type: ignore[arg-type]  # Celery is invariant in its task class
        wait_for(lambda: server.client().llen("celery") == 0, 15)
        time.sleep(0.5)  # let the last consumed task finish
    # The sweep leaves rows younger than a minute to their own task: run it a minute later.
    delivery.sweep(now=timezone.now() + timedelta(minutes=2))


@pytest.mark.parametrize("fault", ["stopped", "frozen", "slow"])
def test_a_request_answers_within_the_bound_and_the_email_goes_once(own_redis, leader, fault):
    api = token_client(leader)
    mail.outbox = []
    # What a request takes on this machine, now, with the broker well: the bound is on the
    # wait for the broker, so it is held against this (a loaded CI machine once took 2.1 s for
    # the first, cold request alone). The first request warms the process up.
    assert _file(api, "Before the fault, first")[1] == 201
    normal, status = _file(api, "Before the fault")
    assert status == 201

    end_fault = _fault(own_redis, fault)
    try:
        timings = [_file(api, f"During the fault {n}") for n in range(3)]
    finally:
        end_fault()
    for took, status in timings:
        assert status == 201, "the complaint is saved and the answer is the normal success"
        assert took - normal < BOUND, f"a request waited {took - normal:.2f} s on the broker"
    # After the first failure the process leaves the broker alone: later requests don't wait.
    assert max(t for t, _ in timings[1:]) - normal < 0.5
    filed = 2 + len(timings)  # the warm-up, the normal one, those during the fault
    assert Complaint.objects.count() == filed
    assert OutboundEmail.objects.filter(state=DeliveryState.PENDING).count() >= 3

    publish_channel.reset()  # the pause would otherwise last CELERY_PUBLISH_PAUSE seconds
    _send_everything_pending(own_redis)

    assert OutboundEmail.objects.count() == filed
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == filed and len(set(ids)) == filed, "each acknowledgement sent exactly once"


def test_after_a_failure_the_process_pauses_then_publishes_again(own_redis, settings):
    """One failed publish pauses publishing in this process (no waiting at all), for
    CELERY_PUBLISH_PAUSE seconds; after it, publishing works again at normal speed."""
    celery_app.conf.publish_pause = 1.0
    try:
        own_redis.stop()
        started = time.monotonic()
        with pytest.raises(Exception) as refused:
            delivery.sweep_outbound_emails.delay()
        assert time.monotonic() - started < BOUND
        assert not isinstance(refused.value, BrokerUnavailable)
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable):
            delivery.sweep_outbound_emails.delay()
        assert time.monotonic() - started < 0.05
        own_redis.start()
        time.sleep(1.1)
        started = time.monotonic()
        delivery.sweep_outbound_emails.delay()
        assert time.monotonic() - started < 0.5
        assert own_redis.client().llen("celery") == 1
    finally:
        celery_app.conf.publish_pause = settings.CELERY_PUBLISH_PAUSE
