"""Business events that integrations may hear about (webhooks), published by the business apps.

A business service calls `publish` inside its own transaction, at the point where the fact
becomes true ("a complaint was filed"). The kernel only names the event types and hands each
event to whoever listens on `event_published` (the webhooks app records one delivery per
matching subscription, in the SAME transaction, and queues the sending after commit), so:

- a rolled-back change publishes nothing, and a committed one is never lost to a broker outage
  (its delivery rows are saved with it; the webhooks sweep sends them later);
- the kernel and the business apps import no integration code: the arrow points down, the
  integration layer connects itself to this signal at start-up.

A listener that fails is logged and its work rolled back to a savepoint; it never fails or
undoes the business change that published the event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)

# Every event type, named `noun.verb_past` (CONVENTIONS.md), with what it means to an integrator.
EVENT_TYPES: dict[str, str] = {
    "complaint.filed": "A complaint was filed.",
    "complaint.status_changed": "A complaint moved to another status.",
    "complaint.escalated": "A complaint missed a deadline and was escalated one level.",
    "review.planned": "A service review was planned.",
    "review.held": "A service review was marked held.",
    "review.cancelled": "A planned service review was cancelled.",
    "commitment.overdue": "A promise (commitment) passed its due date while still open.",
    "demand.status_changed": "A demand moved to another status.",
    "survey.response_received": (
        "A survey response arrived (anonymous campaigns: no answers, no respondent)."
    ),
    "health.band_changed": "A unit's relationship health moved to another band.",
    "health.watermelon_detected": "A unit became a watermelon: SLAs green, the business unhappy.",
}

# Sent (robustly) with `events=[Event, ...]`; sender is the `Event` class.
event_published = Signal()


@dataclass(frozen=True)
class Event:
    """One business event.

    `resource` is the record the event is about (shown as the API shows it); `unit_id` the
    business unit it belongs to (subscriptions may filter on units); `data`, when given,
    replaces the API view of the resource (for records with no API, or whose API view would
    reveal what the event must not, e.g. an anonymous survey's answers); `key`, when given, makes
    the event once-only: a second event with the same key reaches no subscriber twice.
    `occurred_at` is when it happened (aware).
    """

    type: str
    resource: models.Model
    unit_id: int | None
    occurred_at: datetime
    data: Mapping[str, Any] | None = None
    key: str = ""


def make_event(
    event_type: str,
    resource: models.Model,
    unit_id: int | None,
    *,
    data: Mapping[str, Any] | None = None,
    key: str = "",
    occurred_at: datetime | None = None,
) -> Event:
    """An `Event` (see there); raises ValueError for a type not in `EVENT_TYPES`."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}: add it to EVENT_TYPES.")
    return Event(
        type=event_type,
        resource=resource,
        unit_id=unit_id,
        occurred_at=occurred_at or timezone.now(),
        data=data,
        key=key,
    )


def publish(
    event_type: str,
    resource: models.Model,
    unit_id: int | None,
    *,
    data: Mapping[str, Any] | None = None,
    key: str = "",
) -> None:
    """Publish one event now, inside the caller's transaction (see the module docstring).

    Raises ValueError for an unknown `event_type`; a listener's failure is logged, never raised.
    """
    publish_many([make_event(event_type, resource, unit_id, data=data, key=key)])


def publish_many(events: Sequence[Event]) -> None:
    """Publish several events at once (a nightly job's batch): listeners see one list, so their
    cost does not grow with the number of events (one subscription lookup for all)."""
    if not events:
        return
    for receiver, result in event_published.send_robust(sender=Event, events=list(events)):
        if isinstance(result, Exception):
            logger.error(
                "Event listener %r failed on %s event(s) (%s): %s",
                receiver,
                len(events),
                ", ".join(sorted({e.type for e in events})),
                result,
                exc_info=(type(result), result, result.__traceback__),
            )


def in_savepoint(func: Any) -> Any:
    """Decorator for listeners: run in a savepoint, so a failing listener rolls back only its
    own writes and the business transaction carries on (the error is logged by `publish`)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return func(*args, **kwargs)

    run.__name__ = getattr(func, "__name__", "listener")
    run.__doc__ = func.__doc__
    return run
