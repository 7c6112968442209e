"""Real Celery worker and beat processes under broker loss, a frozen broker and killed workers.

Each test runs `celery -A brm worker` (prefork, one pool process) and, where the periodic jobs
matter, `celery -A brm beat` as subprocesses on a Redis of its own, and asserts that nothing is
lost (every email is sent, every unit's health is stored), nothing is sent twice (one accepted
message per Message-ID at the SMTP sink) and no request waited longer than the bound.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import psycopg
import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from brm.core.models import DeliveryState, OutboundEmail
from brm.health.models import HealthSnapshot
from brm.health.tasks import recompute_health_task
from brm.readiness import HEARTBEAT_CACHE, HEARTBEAT_KEY
from complaints import services as complaint_services
from tests.conftest import token_client
from tests.factories import BusinessUnitFactory
from tests.ops.conftest import OwnRedis, database_url, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BOUND = 2.0


@pytest.fixture
def shared_cache_on(settings):
    """Read the heartbeat the subprocesses write to the test Redis's "shared" cache."""

    def point(server: OwnRedis) -> None:
        settings.CACHES = {
            **settings.CACHES,
            "shared": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
                "KEY_PREFIX": "brm",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
            },
        }

    return point


def _heartbeat_after(moment: float) -> bool:
    try:
        beat = caches[HEARTBEAT_CACHE].get(HEARTBEAT_KEY)
    except Exception:
        return False
    return beat is not None and float(beat) > moment


def _still_running(*processes) -> bool:
    """Alive, and not on the way out: Celery logs an unrecoverable error before it exits."""
    return all(p.alive and "Unrecoverable error" not in p.output() for p in processes)


def _mail_env(sink, **extra: str) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "WORKER_HEARTBEAT_INTERVAL": "1",
        "DELIVERY_SWEEP_INTERVAL": "1",
        **extra,
    }


def test_worker_and_beat_ride_out_a_broker_that_is_down_then_stopped_then_frozen(
    own_redis, celery_processes, smtp_sink, shared_cache_on, leader
):
    shared_cache_on(own_redis)
    env = _mail_env(smtp_sink)
    # 1. Started while the broker is down: both wait for it instead of exiting.
    own_redis.stop()
    worker = celery_processes("worker", own_redis.url, "--pool", "prefork", "-c", "1", **env)
    beat = celery_processes("beat", own_redis.url, **env)
    time.sleep(4)
    assert _still_running(worker, beat), worker.output() + beat.output()
    back = time.time()
    own_redis.start()
    assert wait_for(lambda: _heartbeat_after(back), 45), worker.output() + beat.output()
    print(
        f"started while down: first heartbeat {time.time() - back:.1f} s after the broker came up"
    )

    # 2. Stopped for a while, with a complaint filed meanwhile: the request is not held up.
    own_redis.stop()
    started = time.monotonic()
    response = token_client(leader).post(
        "/api/v1/complaints/", {"title": "VPN", "description": "Drops.", "severity": "high"}
    )
    took = time.monotonic() - started
    assert response.status_code == 201 and took < BOUND
    time.sleep(5)
    assert _still_running(worker, beat), worker.output() + beat.output()
    back = time.time()
    own_redis.start()
    assert wait_for(lambda: _heartbeat_after(back), 45), worker.output() + beat.output()
    print(f"stopped 5 s: request {took:.2f} s; heartbeat {time.time() - back:.1f} s after restart")
    # The row's own task never reached the broker; the sweep (every second here) sends it once
    # it is a minute old. Age it rather than wait the minute.
    OutboundEmail.objects.update(created_at=F("created_at") - timedelta(minutes=2))
    assert wait_for(
        lambda: not OutboundEmail.objects.exclude(state=DeliveryState.SENT).exists(), 30
    ), worker.output()

    # 3. Frozen (SIGSTOP): connections stay open but nothing answers; then it wakes up.
    own_redis.freeze()
    time.sleep(4)
    assert _still_running(worker, beat), worker.output() + beat.output()
    back = time.time()
    own_redis.thaw()
    assert wait_for(lambda: _heartbeat_after(back), 60), worker.output() + beat.output()
    print(f"frozen 4 s: heartbeat {time.time() - back:.1f} s after the thaw")

    row = OutboundEmail.objects.get()
    assert smtp_sink.message_ids() == [row.message_id], "sent once, nothing twice"
    assert _still_running(worker, beat)


def _lock_snapshots() -> psycopg.Connection:
    """Another session holds the snapshot table so a recompute blocks at its write."""
    lock = psycopg.connect(database_url())
    lock.execute(f"LOCK TABLE {HealthSnapshot._meta.db_table} IN EXCLUSIVE MODE")
    return lock


def _someone_waits_for_the_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND NOT l.granted",
            [HealthSnapshot._meta.db_table],
        )
        return bool(cursor.fetchone()[0] > 0)


def _snapshot_counts_seen(units: int, seconds: float) -> set[int]:
    """Sample the number of today's snapshots until all units have one (or time runs out)."""
    seen = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        count = HealthSnapshot.objects.filter(as_of=timezone.localdate()).count()
        seen.add(count)
        if count >= units:
            break
        time.sleep(0.05)
    return seen


@pytest.mark.parametrize("kill", ["pool process", "whole worker"])
def test_a_recompute_killed_mid_run_runs_again_and_is_never_half_written(
    own_redis, celery_processes, kill
):
    units = BusinessUnitFactory.create_batch(12)
    env = {"CELERY_VISIBILITY_TIMEOUT": "4", "CELERY_UNACKED_RESTORE_INTERVAL": "1"}
    worker = celery_processes("worker", own_redis.url, "--pool", "prefork", "-c", "1", **env)
    lock = _lock_snapshots()
    try:
        recompute_health_task.apply_async()
        assert wait_for(_someone_waits_for_the_lock, 60), worker.output()
        if kill == "pool process":
            # The pool process dies mid-task: the task is rejected and requeued at once.
            for child in worker.children():
                os.kill(child, signal.SIGKILL)
        else:
            # The whole worker dies: the message stays unacknowledged until the visibility
            # timeout, then another worker takes it.
            worker.kill()
            worker = celery_processes(
                "worker", own_redis.url, "--pool", "prefork", "-c", "1", **env
            )
    finally:
        lock.rollback()
        lock.close()
    seen = _snapshot_counts_seen(len(units), 60)
    assert max(seen) == len(units), worker.output()
    assert seen <= {0, len(units)}, f"a half-written recompute was visible: {sorted(seen)}"
    per_unit = HealthSnapshot.objects.values("unit", "as_of").annotate(n=Count("id"))
    assert {row["n"] for row in per_unit} == {1}


def test_a_send_killed_mid_way_is_sent_once_later(
    own_redis, celery_processes, smtp_sink, unit_a, leader
):
    env = _mail_env(smtp_sink, DELIVERY_CLAIM_TIMEOUT="2")
    complaint_services.file_complaint(
        complaint_services.ComplaintInput(
            unit=unit_a, title="VPN", description="Drops.", severity="high"
        ),
        actor=leader,
    )  # commits (transaction=True test) and queues the acknowledgement on the test Redis
    row = OutboundEmail.objects.get()
    smtp_sink.hold = 4.0  # the mail server takes its time to accept...
    worker = celery_processes("worker", own_redis.url, "--pool", "prefork", "-c", "1", **env)
    assert smtp_sink.receiving.wait(60), worker.output()
    for child in worker.children():  # ... and the sender dies before it did
        os.kill(child, signal.SIGKILL)
    assert wait_for(lambda: smtp_sink.dropped == 1, 10)
    smtp_sink.hold = 0
    # The requeued task finds the message claimed and leaves it; the sweep releases the dead
    # claim after DELIVERY_CLAIM_TIMEOUT and sends it with the same Message-ID.
    beat = celery_processes("beat", own_redis.url, **env)
    assert wait_for(
        lambda: OutboundEmail.objects.filter(pk=row.pk, state=DeliveryState.SENT).exists(), 60
    ), worker.output() + beat.output()
    time.sleep(2)  # a second send, if there were one, would arrive now
    assert smtp_sink.message_ids() == [row.message_id]
    row.refresh_from_db()
    assert row.attempts == 2
