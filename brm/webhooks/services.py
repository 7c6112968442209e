"""Managing subscriptions and re-sending deliveries: administrators only, from the admin and API.

Every function takes the acting user and raises `ForbiddenAction` (403) unless
`may_manage_webhooks(actor)`; `InputError` (400) for a bad URL, event type or unit;
`StateConflict` (409) when the record's state does not allow the change.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from brm.core.errors import InputError, StateConflict
from brm.core.events import EVENT_TYPES
from brm.core.outbox import queue_after_commit
from brm.core.roles import Role, require, role_of
from brm.core.validators import single_line
from brm.webhooks import network, signing
from brm.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from brm.webhooks.sending import deliver_webhook

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


def may_manage_webhooks(actor: AnyUser) -> bool:
    """Only administrators see and change webhooks: a subscription can send any unit's data
    to any address."""
    return role_of(actor) == Role.ADMIN


def _require(actor: AnyUser) -> None:
    require(may_manage_webhooks(actor), gettext("Only administrators manage webhooks."))


def clean_url(url: str) -> str:
    """The URL if its form is acceptable (`network.check_url`); a literal address that could
    never be sent to (loopback, private, metadata...) is refused now rather than at every send.
    Names are checked when sending, since what they resolve to may change."""
    url = (url or "").strip()
    try:
        parts = network.check_url(url)
        host = (parts.hostname or "").lower()
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return url
        reason = network.refusal(literal)
        if reason and host not in network.allowed_hosts():
            raise network.RefusedTarget(f"{reason}; webhooks are not sent there.")
    except network.RefusedTarget as exc:
        raise InputError("url", str(exc)) from None
    return url


def clean_event_types(event_types: Iterable[str]) -> list[str]:
    """The event types, each known (`brm.core.events.EVENT_TYPES`), without duplicates."""
    wanted = list(dict.fromkeys(event_types))
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise InputError(
            "event_types",
            ngettext(
                "Unknown event type: %(types)s.", "Unknown event types: %(types)s.", len(unknown)
            )
            % {"types": ", ".join(unknown)},
        )
    if not wanted:
        raise InputError("event_types", gettext("Choose at least one event type."))
    return wanted


def clean_description(description: str) -> str:
    """One line of at most 200 characters."""
    try:
        single_line(description)
    except ValidationError as exc:
        raise InputError("description", exc.messages[0]) from None
    if len(description.strip()) > 200:
        raise InputError("description", gettext("Keep the description under 200 characters."))
    return description.strip()


@transaction.atomic
def create_subscription(
    *,
    actor: AnyUser,
    url: str,
    event_types: Iterable[str],
    units: Iterable[BusinessUnit] = (),
    description: str = "",
    owner: User | None = None,
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its signing secret (returned here once, never again).

    `owner` (default: the actor) is emailed if the subscription is disabled after failures.
    """
    _require(actor)
    description = clean_description(description)
    subscription = WebhookSubscription.objects.create(
        url=clean_url(url),
        event_types=clean_event_types(event_types),
        description=description,
        secret=signing.new_secret(),
        owner=owner or (actor if actor.is_authenticated else None),
    )
    subscription.units.set(list(units))
    return subscription, subscription.secret


@transaction.atomic
def update_subscription(
    subscription: WebhookSubscription,
    *,
    actor: AnyUser,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    units: Iterable[BusinessUnit] | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    """Change what a subscription receives and where; the secret stays."""
    _require(actor)
    if url is not None:
        subscription.url = clean_url(url)
    if event_types is not None:
        subscription.event_types = clean_event_types(event_types)
    if description is not None:
        subscription.description = clean_description(description)
    subscription.save()
    if units is not None:
        subscription.units.set(list(units))
    return subscription


def overlap() -> timedelta:
    """How long the old secret keeps signing after a rotation (``WEBHOOK_SECRET_OVERLAP`` s)."""
    return timedelta(seconds=int(getattr(settings, "WEBHOOK_SECRET_OVERLAP", 24 * 3600)))


@transaction.atomic
def rotate_secret(
    subscription: WebhookSubscription, *, actor: AnyUser, overlap_for: timedelta | None = None
) -> str:
    """Give the subscription a new secret and return it (shown once). The old one keeps
    signing too (a second signature) for `overlap_for` (default `overlap()`), so the receiver
    can switch without rejecting a message; a zero overlap retires it at once."""
    _require(actor)
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    now = timezone.now()
    keep = overlap() if overlap_for is None else overlap_for
    locked.previous_secret = locked.secret if keep > timedelta(0) else ""
    locked.previous_secret_expires_at = now + keep if keep > timedelta(0) else None
    locked.secret = signing.new_secret()
    locked.save()
    for name in ("secret", "previous_secret", "previous_secret_expires_at", "updated_at"):
        setattr(subscription, name, getattr(locked, name))
    return locked.secret


@transaction.atomic
def set_active(
    subscription: WebhookSubscription, active: bool, *, actor: AnyUser
) -> WebhookSubscription:
    """Disable (nothing more is recorded or sent; pending deliveries are cancelled) or enable
    (the failure count starts again from 0) a subscription."""
    _require(actor)
    now = timezone.now()
    if active:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            active=True, failure_count=0, disabled_at=None, disabled_reason="", updated_at=now
        )
    else:
        WebhookSubscription.objects.filter(pk=subscription.pk, active=True).update(
            active=False, disabled_at=now, disabled_reason="Disabled by an administrator."
        )
        WebhookDelivery.objects.filter(
            subscription=subscription, state=DeliveryState.PENDING
        ).update(state=DeliveryState.CANCELLED, next_attempt_at=None, updated_at=now)
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def redeliver(delivery: WebhookDelivery, *, actor: AnyUser) -> WebhookDelivery:
    """Send a delivery again (same `webhook-id` and body, a fresh signature and retry window).

    Raises `StateConflict` while it is still pending or being sent, or when its subscription
    is disabled (enable it first).
    """
    _require(actor)
    locked = (
        WebhookDelivery.objects.select_for_update()
        .select_related("subscription")
        .get(pk=delivery.pk)
    )
    if locked.state in {DeliveryState.PENDING, DeliveryState.SENDING}:
        raise StateConflict(gettext("This delivery is still being sent; wait for its result."))
    if not locked.subscription.active:
        raise StateConflict(gettext("The subscription is disabled; enable it first."))
    locked.state = DeliveryState.PENDING
    locked.next_attempt_at = None
    locked.first_attempt_at = None
    locked.last_error = ""
    locked.save()
    queue_after_commit(deliver_webhook, locked.pk)
    return locked
