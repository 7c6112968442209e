"""Sending deliveries: claim, sign, POST, log the attempt, then retry, finish or give up.

1. `claim` takes a due PENDING delivery with ONE conditional UPDATE (pending -> sending) and
   checks the row count, so a task run twice, or a task and the sweep, send it once.
2. The body is signed for this attempt (`webhook-timestamp` is the sending time) with the
   subscription's secret(s) and POSTed safely (`brm.webhooks.network`).
3. Every attempt is logged (`WebhookAttempt`). A 2xx delivers. Timeouts, connection errors,
   5xx, 408 and 429 are retried after an exponential back-off with jitter
   (``WEBHOOK_RETRY_BASE`` seconds, doubled per attempt, at most ``WEBHOOK_RETRY_MAX_DELAY``),
   or after the receiver's `Retry-After`, for ``WEBHOOK_RETRY_WINDOW`` seconds (a day) from the
   first attempt; anything else (another 4xx, a redirect, a refused address) fails at once.
4. A delivery given up on counts against its subscription; ``WEBHOOK_DISABLE_AFTER_FAILURES``
   in a row disable it, cancel its pending deliveries and email its owner (kernel delivery
   path). A success resets the count.

Short waits are queued with a countdown; longer ones are left to the sweep (beat, every
minute), since Redis re-delivers a task held longer than its visibility timeout.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from brm.core import delivery as mail
from brm.webhooks import network, payloads, signing
from brm.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

DISABLED_EMAIL = "webhooks.disabled"  # composer: brm.webhooks.emails.compose_disabled
RETRY_STATUSES = frozenset({408, 429})
SEND_TIME_LIMIT = 60  # seconds; each POST is bounded by WEBHOOK_TIMEOUT per address
SWEEP_BATCH = 200


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def claim(pk: int, now: datetime) -> bool:
    """Take a due pending delivery for sending; True only for the one caller that won."""
    return (
        WebhookDelivery.objects.filter(pk=pk, state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            state=DeliveryState.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            updated_at=now,
        )
        == 1
    )


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): the base doubled per
    attempt, capped, times a random factor between 0.8 and 1.2 (jitter, so receivers that come
    back are not hit by every sender at once)."""
    base = _setting("WEBHOOK_RETRY_BASE", 30)
    cap = _setting("WEBHOOK_RETRY_MAX_DELAY", 4 * 3600)
    delay = min(base * 2 ** (attempt - 1), cap)
    return float(delay * (rng or random).uniform(0.8, 1.2))


def is_retryable(answer: network.Answer) -> bool:
    """Timeouts, connection and DNS errors, 5xx, 408 and 429; never a refused address."""
    if answer.refused:
        return False
    if answer.status is None:
        return True
    return answer.status >= 500 or answer.status in RETRY_STATUSES


def deliver(pk: int) -> bool:
    """Send delivery `pk` once if it is due and nobody else holds it; True when delivered now.

    Never raises for a network fault (it is logged on the attempt and retried or failed).
    """
    now = timezone.now()
    if not claim(pk, now):
        logger.info("Webhook delivery %s: not due, or claimed by another worker.", pk)
        return False
    row = WebhookDelivery.objects.select_related("subscription").get(pk=pk)
    subscription = row.subscription
    if not subscription.active:
        _finish(row, DeliveryState.CANCELLED, error="The subscription is disabled.")
        return False
    body = payloads.dumps(row.payload)
    headers = signing.headers(
        subscription.signing_secrets(now), row.message_id, int(now.timestamp()), body
    )
    answer = network.post(subscription.url, body.encode(), headers)
    delivered = answer.status is not None and 200 <= answer.status < 300
    retry_at = None if delivered else _retry_at(row, answer, now)
    WebhookAttempt.objects.create(
        delivery=row,
        number=row.attempts,
        started_at=now,
        status_code=answer.status,
        duration_ms=answer.duration_ms,
        response_excerpt=answer.excerpt,
        error=answer.error or _status_note(answer.status),
        will_retry=retry_at is not None,
    )
    if delivered:
        _finish(row, DeliveryState.DELIVERED, status=answer.status)
        WebhookSubscription.objects.filter(pk=subscription.pk, failure_count__gt=0).update(
            failure_count=0
        )
        return True
    error = answer.error or _status_note(answer.status)
    if retry_at is not None:
        WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING,
            claimed_at=None,
            next_attempt_at=retry_at,
            last_status=answer.status,
            last_error=error[:2000],
            updated_at=timezone.now(),
        )
        _queue_soon(row.pk, retry_at)
        return False
    if _finish(row, DeliveryState.FAILED, status=answer.status, error=error):
        _count_failure(subscription)
    return False


def _status_note(status: int | None) -> str:
    if status is None or 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed."
    return f"HTTP {status}"


def _retry_at(row: WebhookDelivery, answer: network.Answer, now: datetime) -> datetime | None:
    """When to try again, or None to give up: not retryable, or past the retry window."""
    if not is_retryable(answer):
        return None
    wait = answer.retry_after if answer.retry_after is not None else backoff(row.attempts)
    when = now + timedelta(seconds=max(wait, 1.0))
    first = row.first_attempt_at or now
    window = timedelta(seconds=_setting("WEBHOOK_RETRY_WINDOW", 24 * 3600))
    return when if when <= first + window else None


def _queue_soon(pk: int, when: datetime) -> None:
    """A wait under a minute is queued with a countdown; longer ones are the sweep's."""
    wait = (when - timezone.now()).total_seconds()
    if wait > _setting("WEBHOOK_COUNTDOWN_MAX", 60):
        return
    try:
        deliver_webhook.apply_async((pk,), countdown=max(wait, 0), retry=False)
    except Exception as exc:  # the sweep sends it; a broker fault must not lose the attempt log
        logger.warning("Could not queue webhook retry %s (%s); the sweep will.", pk, exc)


def _finish(
    row: WebhookDelivery, state: str, *, status: int | None = None, error: str = ""
) -> bool:
    now = timezone.now()
    return bool(
        WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
            state=state,
            claimed_at=None,
            next_attempt_at=None,
            delivered_at=now if state == DeliveryState.DELIVERED else None,
            last_status=status,
            last_error=error[:2000],
            updated_at=now,
        )
    )


def _count_failure(subscription: WebhookSubscription) -> None:
    """One more delivery given up on; at the limit, disable the subscription (once)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failure_count=F("failure_count") + 1
    )
    count = WebhookSubscription.objects.values_list("failure_count", flat=True).get(
        pk=subscription.pk
    )
    limit = int(_setting("WEBHOOK_DISABLE_AFTER_FAILURES", 5))
    if count >= limit:
        disable_failing(subscription.pk, f"{count} deliveries in a row failed.")


@transaction.atomic
def disable_failing(subscription_id: int, reason: str) -> bool:
    """Disable a subscription that keeps failing, cancel what it still had to send, and email
    its owner (once: the disable is a conditional UPDATE). True when this call disabled it."""
    now = timezone.now()
    changed = WebhookSubscription.objects.filter(pk=subscription_id, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason[:300], updated_at=now
    )
    if not changed:
        return False
    WebhookDelivery.objects.filter(
        subscription_id=subscription_id, state=DeliveryState.PENDING
    ).update(state=DeliveryState.CANCELLED, next_attempt_at=None, updated_at=now)
    logger.warning("Webhook subscription %s disabled: %s", subscription_id, reason)
    key = f"{DISABLED_EMAIL}:{subscription_id}:{int(now.timestamp())}"
    mail.enqueue(DISABLED_EMAIL, subscription_id, key=key)
    return True


def release_stale_claims(now: datetime | None = None) -> int:
    """Give back claims whose worker died (SENDING for longer than ``WEBHOOK_CLAIM_TIMEOUT``
    seconds): pending again, due now; the attempt that died still counts."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_setting("WEBHOOK_CLAIM_TIMEOUT", 300))
    return WebhookDelivery.objects.filter(
        state=DeliveryState.SENDING, claimed_at__lt=cutoff
    ).update(
        state=DeliveryState.PENDING,
        claimed_at=None,
        next_attempt_at=None,
        last_error="The worker sending it stopped before recording the answer.",
        updated_at=now,
    )


def due_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Pending deliveries that may be tried now, oldest first."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now: datetime | None = None) -> int:
    """Release dead workers' claims, then send every due delivery. Returns how many arrived."""
    release_stale_claims(now)
    return sum(deliver(pk) for pk in due_ids(now))


@shared_task(
    name="brm.webhooks.deliver",
    time_limit=SEND_TIME_LIMIT,
    soft_time_limit=SEND_TIME_LIMIT - 10,
)
def deliver_webhook(delivery_id: int) -> bool:
    """Send one delivery (safe to run twice: the claim lets one run through)."""
    return deliver(delivery_id)


@shared_task(name="brm.webhooks.sweep")
def sweep_webhooks() -> int:
    """Beat job: send due retries and anything whose task never arrived."""
    return sweep()
