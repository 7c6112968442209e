"""Upgrading to the kernel outbox loses no email and sends none twice.

A database at the state before `core.OutboundEmail` holds complaint notifications, handovers and
benefit attestations, some already sent and some not. After `migrate`, each unsent one has a
pending outbox row (so the sweep sends it, once) and nothing already sent is ever sent again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brm.core import delivery
from brm.core.models import OutboundEmail
from complaints.models import ComplaintNotification
from portfolio.models import BenefitAttestation
from stakeholders.models import Handover

pytestmark = pytest.mark.slow

# The last migration of each app before the outbox.
BEFORE = [
    ("core", "0001_initial"),
    ("complaints", "0002_follow_up_links"),
    ("stakeholders", "0004_remove_actionitem_improvement_plan_and_more"),
    ("portfolio", "0002_demands"),
]
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_unsent_emails_pending_and_sent_ones_sent(settings) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}
    }
    executor = _executor()
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = _executor().loader.project_state(BEFORE).apps
    User = old.get_model("auth", "User")
    brm = User.objects.create(username="brm", email="brm@example.org")
    newbrm = User.objects.create(username="nina", email="nina@example.org")
    leader = User.objects.create(username="lea", email="lea@example.org")
    unit = old.get_model("stakeholders", "BusinessUnit").objects.create(
        name="Finance", code="fin", brm=newbrm
    )
    complaint = old.get_model("complaints", "Complaint").objects.create(
        unit=unit,
        complainant=leader,
        title="Late reports",
        description="Every month.",
        acknowledge_by=SENT,
        resolve_by=SENT,
    )
    Note = old.get_model("complaints", "ComplaintNotification")
    sent_note = Note.objects.create(
        complaint=complaint, kind="acknowledgement", sent_at=SENT, recipients="lea@example.org"
    )
    unsent_note = Note.objects.create(complaint=complaint, kind="escalation", level=1)
    OldHandover = old.get_model("stakeholders", "Handover")
    sent_pack = OldHandover.objects.create(
        unit=unit, from_brm=brm, to_brm=newbrm, pack_sent_at=SENT
    )
    unsent_pack = OldHandover.objects.create(unit=unit, from_brm=brm, to_brm=newbrm)
    OldHandover.objects.create(unit=unit, from_brm=newbrm, to_brm=None)  # nobody to tell
    sponsor = old.get_model("stakeholders", "Stakeholder").objects.create(
        unit=unit, name="Lea", email="lea@example.org", user=leader
    )
    demand = old.get_model("portfolio", "Demand").objects.create(
        unit=unit, sponsor=sponsor, title="New ledger", problem="Slow.", outcome="Fast."
    )
    Attestation = old.get_model("portfolio", "BenefitAttestation")
    sent_att = Attestation.objects.create(
        demand=demand, due_on=date(2026, 10, 1), round=1, sent_at=SENT
    )
    unsent_att = Attestation.objects.create(demand=demand, due_on=date(2026, 11, 1), round=2)

    _executor().migrate(latest)

    pending = {
        (e.kind, e.ref): e.state for e in OutboundEmail.objects.exclude(state="sent").iterator()
    }
    assert pending == {
        ("complaints.notification", unsent_note.pk): "pending",
        ("stakeholders.handover_pack", unsent_pack.pk): "pending",
        ("portfolio.benefit_attestation", unsent_att.pk): "pending",
    }
    # A notification sent before the upgrade stays sent: its history row says so.
    done = OutboundEmail.objects.get(key=f"complaints.notification:{sent_note.pk}")
    assert (done.state, done.sent_at, done.recipients) == ("sent", SENT, "lea@example.org")
    assert len({e.message_id for e in OutboundEmail.objects.all()}) == 4

    # The sweep sends each unsent email once; nothing that went out before goes again.
    OutboundEmail.objects.update(created_at=datetime(2026, 11, 1, tzinfo=UTC))
    mail.outbox = []
    sent_now = delivery.sweep()
    assert delivery.sweep() == 0
    # The level-1 escalation to the unit's BRM, the pack to Nina, the attestation to the sponsor.
    assert sent_now == 3
    assert sorted(m.subject.split()[0] for m in mail.outbox) == ["Escalation", "Handover", "Please"]
    assert ComplaintNotification.objects.get(pk=unsent_note.pk).sent_at is not None
    assert Handover.objects.get(pk=unsent_pack.pk).pack_sent_at is not None
    assert Handover.objects.get(pk=sent_pack.pk).pack_sent_at == SENT
    assert BenefitAttestation.objects.get(pk=unsent_att.pk).sent_at is not None
    assert BenefitAttestation.objects.get(pk=sent_att.pk).sent_at == SENT
