"""From business events to deliveries: one row per event and matching subscription.

`record_events` listens to the kernel's `event_published` signal and runs inside the publishing
service's transaction, so the deliveries exist exactly when the business change does; each is
queued for sending after commit (`brm.core.outbox`), and the sweep sends any that never got
their task (broker down).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from brm.core.events import Event, in_savepoint
from brm.core.outbox import queue_after_commit
from brm.webhooks import payloads
from brm.webhooks.models import WebhookDelivery, WebhookSubscription
from brm.webhooks.sending import deliver_webhook

logger = logging.getLogger(__name__)


def matches(subscription: WebhookSubscription, unit_ids: set[int], event: Event) -> bool:
    """Whether `subscription` (whose chosen units are `unit_ids`; empty: all) wants `event`."""
    if event.type not in subscription.event_types:
        return False
    return not unit_ids or event.unit_id in unit_ids


@in_savepoint
def record_events(sender: Any, events: Sequence[Event], **kwargs: Any) -> list[int]:
    """Record the deliveries of `events` and queue them after commit; returns their ids.

    Queries: one for the active subscriptions with their units, whatever the number of events;
    when some match, one for the once-only keys already recorded and one insert. Each event's
    body is built once, however many subscriptions receive it. An event whose `key` was
    recorded before for a subscription is not recorded again for it.
    """
    subscriptions = list(WebhookSubscription.objects.filter(active=True).prefetch_related("units"))
    if not subscriptions:
        return []
    wanted = [(s, {u.pk for u in s.units.all()}) for s in subscriptions]
    rows: list[WebhookDelivery] = []
    for event in events:
        receivers = [s for s, units in wanted if matches(s, units, event)]
        if not receivers:
            continue
        payload = payloads.body(event)
        rows.extend(
            WebhookDelivery(
                subscription=s,
                event_type=event.type,
                key=event.key,
                unit_id=event.unit_id,
                payload=payload,
            )
            for s in receivers
        )
    keys = {r.key for r in rows if r.key}
    if keys:
        seen = set(
            WebhookDelivery.objects.filter(key__in=keys).values_list("subscription_id", "key")
        )
        rows = [r for r in rows if not r.key or (r.subscription.pk, r.key) not in seen]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = WebhookDelivery.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent publisher recorded one of the keys first: keep the others, one by one.
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                created.append(row)
            except IntegrityError:
                logger.info("Webhook event %s already recorded for %s.", row.key, row.subscription)
    for row in created:
        queue_after_commit(deliver_webhook, row.pk)
    return [row.pk for row in created]
