"""Complaint emails move to the kernel's outbox (`core.OutboundEmail`).

Every existing notification gets its outbox row: one already marked sent counts as sent (it is
never sent again), one not yet sent is pending and goes out with the next sweep.
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

KIND = "complaints.notification"


def to_outbox(apps, schema_editor):
    ComplaintNotification = apps.get_model("complaints", "ComplaintNotification")
    OutboundEmail = apps.get_model("core", "OutboundEmail")
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    done = set(OutboundEmail.objects.filter(kind=KIND).values_list("ref", flat=True))
    rows = [
        OutboundEmail(
            kind=KIND,
            ref=note.pk,
            key=f"{KIND}:{note.pk}",
            state="sent" if note.sent_at else "pending",
            sent_at=note.sent_at,
            recipients=note.recipients,
            message_id=make_msgid(idstring="brm", domain=domain),
        )
        for note in ComplaintNotification.objects.exclude(pk__in=done).iterator()
    ]
    OutboundEmail.objects.bulk_create(rows, batch_size=500)


def from_outbox(apps, schema_editor):
    apps.get_model("core", "OutboundEmail").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_follow_up_links"),
        ("core", "0002_outbound_email"),
    ]

    operations = [migrations.RunPython(to_outbox, from_outbox)]
