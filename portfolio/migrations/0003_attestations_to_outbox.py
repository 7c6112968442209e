"""Benefit attestation emails move to the kernel's outbox (`core.OutboundEmail`).

A request whose email has not gone out gets a pending outbox row, so the kernel's sweep sends it
(the old sweep of `sent_at IS NULL` is gone). A request already sent needs no row: nothing
queues it again.
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

KIND = "portfolio.benefit_attestation"


def to_outbox(apps, schema_editor):
    BenefitAttestation = apps.get_model("portfolio", "BenefitAttestation")
    OutboundEmail = apps.get_model("core", "OutboundEmail")
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    done = set(OutboundEmail.objects.filter(kind=KIND).values_list("ref", flat=True))
    pending = BenefitAttestation.objects.filter(sent_at__isnull=True, answered_at__isnull=True)
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                kind=KIND,
                ref=pk,
                key=f"{KIND}:{pk}",
                message_id=make_msgid(idstring="brm", domain=domain),
            )
            for pk in pending.exclude(pk__in=done).values_list("pk", flat=True)
        ],
        batch_size=500,
    )


def from_outbox(apps, schema_editor):
    apps.get_model("core", "OutboundEmail").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0002_demands"),
        ("core", "0002_outbound_email"),
    ]

    operations = [migrations.RunPython(to_outbox, from_outbox)]
