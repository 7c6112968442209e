"""People's data in webhook deliveries (GDPR): the events that carried a person's data to a
receiver (art. 15 asks who received it), and their erasure. Collected by `brm.privacy`."""

from __future__ import annotations

import json
from typing import Any

from brm.core import privacy
from brm.core.privacy import Person
from brm.webhooks.models import WebhookAttempt, WebhookDelivery


def export_part(person: Person) -> dict[str, Any]:
    """Deliveries whose body mentions them: which event went to which receiver, and when."""
    return {
        "webhook_deliveries": privacy.rows(
            WebhookDelivery.objects.filter(privacy.mentions(person, "payload")),
            "event_type",
            "subscription__url",
            "created_at",
            "delivered_at",
            "state",
        )
    }


def erase_part(person: Person) -> dict[str, int]:
    """Every mention of them leaves the stored bodies (one still to be sent goes out without
    it), and the receivers' answers and errors kept with each attempt. A second run changes
    nothing."""
    changed = 0
    for pk, payload in WebhookDelivery.objects.filter(
        privacy.mentions(person, "payload")
    ).values_list("pk", "payload"):
        scrubbed = json.loads(privacy.scrub(json.dumps(payload), person))
        changed += WebhookDelivery.objects.filter(pk=pk).update(payload=scrubbed)
    changed += privacy.scrub_rows(WebhookDelivery.objects.all(), person, ["last_error"])
    return {
        "webhook_deliveries": changed,
        "webhook_attempts": privacy.scrub_rows(
            WebhookAttempt.objects.all(), person, ["response_excerpt", "error"]
        ),
    }
