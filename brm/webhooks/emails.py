"""The email that tells a subscription's owner it was disabled, for the kernel's delivery path."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext, override

from brm.core.delivery import Outgoing
from brm.core.i18n import language_for
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
    with override(language_for([address])):
        reason = subscription.disabled_reason or gettext("its deliveries kept failing.")
        body = gettext(
            "The webhook subscription to %(url)s was disabled: %(reason)s\n\n"
            "Nothing more is sent to it. Once the receiver works again, enable the subscription "
            "and re-send the failed deliveries (admin or API):\n\n"
            "%(link)s\n"
        ) % {"url": subscription.url, "reason": reason, "link": admin_url}
        subject = gettext("Webhook disabled: %(url)s") % {"url": subscription.url}
    email = EmailMessage(subject=header_text(subject), body=body, to=[address])
    return Outgoing(email)
