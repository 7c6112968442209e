"""/healthz is liveness (the process answers, nothing else); /readyz is readiness per dependency
(database, broker, worker heartbeat), 200 or 503, and answers in bounded time whatever the
broker does."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command

from brm.readiness import record_heartbeat
from tests.ops.conftest import OwnRedis

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db]


@pytest.fixture
def shared_cache(settings, own_redis: OwnRedis) -> OwnRedis:
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "brm",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        },
    }
    return own_redis


def _ready(client) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get("/readyz")
    return response.status_code, response.json(), time.monotonic() - started


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_readyz_is_200_when_database_broker_and_a_worker_are_up(client, shared_cache):
    record_heartbeat()
    status, body, _ = _ready(client)
    assert status == 200 and body["status"] == "ok"
    assert {name: c["ok"] for name, c in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
    }
    assert body["checks"]["worker"]["seconds"] < 5


def test_readyz_is_503_when_no_worker_ran_lately(client, shared_cache, settings):
    record_heartbeat(time.time() - settings.WORKER_HEARTBEAT_MAX_AGE - 10)
    status, body, _ = _ready(client)
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] and not body["checks"]["worker"]["ok"]
    assert "limit" in body["checks"]["worker"]["detail"]
    with pytest.raises(CommandError, match="worker"):
        call_command("readiness", stdout=io.StringIO())


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_readyz_says_503_quickly_when_the_broker_is_down_or_frozen(client, shared_cache, fault):
    record_heartbeat()
    if fault == "stopped":
        shared_cache.stop()
    else:
        shared_cache.freeze()
    try:
        status, body, took = _ready(client)
    finally:
        if fault == "frozen":
            shared_cache.thaw()
    assert status == 503
    assert body["checks"]["database"]["ok"] and not body["checks"]["broker"]["ok"]
    assert took < 3.0, f"/readyz took {took:.2f} s with the broker {fault}"
