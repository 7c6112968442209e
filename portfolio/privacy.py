"""People's data in demands and benefits (GDPR): demands a person sponsored or submitted, the
benefit attestations sent to them, and their erasure. Collected by `brm.privacy`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from brm.core import privacy
from brm.core.privacy import Person
from portfolio.models import BenefitAttestation, BenefitRecord, Demand

HistoricalDemand = Demand.history.model
HistoricalBenefit = BenefitRecord.history.model
DEMAND_TEXTS = ["title", "problem", "outcome", "status_reason", "override_reason"]


def _theirs(person: Person) -> Q:
    condition = Q(pk__in=[])
    if person.stakeholder_id:
        condition |= Q(sponsor=person.stakeholder_id)
    if person.user_id:
        condition |= Q(submitted_by=person.user_id)
    return condition


def export_part(person: Person) -> dict[str, Any]:
    """Demands they sponsor or submitted, and the benefit attestations addressed to them."""
    return {
        "demands": privacy.rows(
            Demand.objects.filter(_theirs(person)),
            "id",
            "unit__name",
            "title",
            "problem",
            "outcome",
            "status",
            "created_at",
        ),
        "attestations": privacy.rows(
            BenefitAttestation.objects.filter(
                Q(demand__sponsor=person.stakeholder_id) | privacy.mentions(person, "recipients")
                if person.stakeholder_id
                else privacy.mentions(person, "recipients")
            ),
            "demand_id",
            "due_on",
            "round",
            "recipients",
            "sent_at",
            "answered_at",
        ),
    }


def erase_part(person: Person) -> dict[str, int]:
    """Demands and attestations stay (the sponsor is shown as erased through their register
    entry); mentions of the person leave the demands' and benefit notes' texts and history
    rows; attestations keep no address of theirs. A second run changes nothing."""
    attestations = 0
    for att in BenefitAttestation.objects.filter(privacy.mentions(person, "recipients")):
        kept = [a.strip() for a in att.recipients.split(",") if a.strip()]
        recipients = ", ".join(a for a in kept if a.lower() not in person.emails)
        attestations += BenefitAttestation.objects.filter(pk=att.pk).update(recipients=recipients)
    return {
        "demands": privacy.scrub_rows(Demand.objects.all(), person, DEMAND_TEXTS)
        + privacy.scrub_rows(HistoricalDemand.objects.all(), person, DEMAND_TEXTS),
        "benefit_notes": privacy.scrub_rows(BenefitRecord.objects.all(), person, ["note"])
        + privacy.scrub_rows(HistoricalBenefit.objects.all(), person, ["note"]),
        "attestations": attestations,
    }
