"""The email that tells a subscription's owner it was disabled, for the kernel's delivery path."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from brm.core.delivery import Outgoing
from brm.core.models import OutboundEmail
from brm.core.validators import header_text
from brm.webhooks.models import WebhookSubscription


def compose_disabled(row: OutboundEmail) -> Outgoing | None:
    """ "Your webhook was disabled" for subscription ``row.ref``, to its owner; None when the
    subscription is gone, active again, or has no owner with an address."""
    subscription = WebhookSubscription.objects.select_related("owner").filter(pk=row.ref).first()
    if subscription is None or subscription.active or subscription.owner is None:
        return None
    address = subscription.owner.email
    if not address:
        return None
    admin_url = settings.SITE_URL + reverse(
        "admin:webhooks_webhooksubscription_change", args=[subscription.pk]
    )
    body = (
        f"The webhook subscription to {subscription.url} was disabled: "
        f"{subscription.disabled_reason or 'its deliveries kept failing.'}\n\n"
        "Nothing more is sent to it. Once the receiver works again, enable the subscription "
        "and re-send the failed deliveries (admin or API):\n\n"
        f"{admin_url}\n"
    )
    email = EmailMessage(
        subject=header_text(f"Webhook disabled: {subscription.url}"),
        body=body,
        to=[address],
    )
    return Outgoing(email)
