"""Handover pack emails move to the kernel's outbox (`core.OutboundEmail`).

A pack not yet sent gets a pending outbox row, so the kernel's sweep sends it (the old sweep of
`pack_sent_at IS NULL` is gone). A pack already sent needs no row: nothing queues it again.
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

KIND = "stakeholders.handover_pack"


def to_outbox(apps, schema_editor):
    Handover = apps.get_model("stakeholders", "Handover")
    OutboundEmail = apps.get_model("core", "OutboundEmail")
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    done = set(OutboundEmail.objects.filter(kind=KIND).values_list("ref", flat=True))
    pending = Handover.objects.filter(pack_sent_at__isnull=True, to_brm__isnull=False)
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
        ("stakeholders", "0004_remove_actionitem_improvement_plan_and_more"),
        ("core", "0002_outbound_email"),
    ]

    operations = [migrations.RunPython(to_outbox, from_outbox)]
