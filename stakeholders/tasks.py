"""The handover pack email of the stakeholder register, composed for the kernel's delivery path.

`stakeholders.services.reassign_brm` records the email (`brm.core.delivery.enqueue`) with the
handover; the kernel claims, sends and retries it. `Handover.pack_sent_at` records the business
fact once the mail server accepted the pack.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from brm.core.delivery import Outgoing
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from stakeholders import events
from stakeholders.models import Handover
from stakeholders.selectors import handover_pack

logger = logging.getLogger(__name__)

HANDOVER_PACK_EMAIL = "stakeholders.handover_pack"


def compose_handover_pack(row: OutboundEmail) -> Outgoing | None:
    """The new BRM's handover pack for handover ``row.ref``; None if there is nobody to send to
    (the handover is gone, has no new BRM, or the new BRM has no email address)."""
    handover = (
        Handover.objects.select_related("unit", "to_brm", "from_brm").filter(pk=row.ref).first()
    )
    if handover is None or handover.to_brm is None or not handover.to_brm.email:
        return None
    recipient = handover.to_brm
    pack = handover_pack(handover.unit, recipient)
    context = {
        "handover": handover,
        "pack": pack,
        "url": settings.SITE_URL + reverse("stakeholders:unit_handover", args=[handover.unit_id]),
    }
    with translation.override(language_for([recipient.email])):  # theirs, else the site's
        email = EmailMultiAlternatives(
            subject=_("Handover pack: %(unit)s") % {"unit": handover.unit.name},
            body=render_to_string("stakeholders/email/handover_pack.txt", context),
            to=[recipient.email],
        )
        email.attach_alternative(
            render_to_string("stakeholders/email/handover_pack.html", context), "text/html"
        )

    def on_sent(sent_at: datetime) -> None:
        Handover.objects.filter(pk=handover.pk, pack_sent_at__isnull=True).update(
            pack_sent_at=sent_at
        )

    return Outgoing(email, on_sent)


@shared_task(name="stakeholders.tasks.publish_overdue_commitments")
def publish_overdue_commitments() -> int:
    """Beat job (hourly): `commitment.overdue` events for promises that just fell overdue."""
    return events.publish_overdue_commitments()
