"""People's data in relationship health (GDPR): improvement plans and maturity assessments
that mention a person, and their erasure. Collected by `brm.privacy`."""

from __future__ import annotations

from typing import Any

from brm.core import privacy
from brm.core.privacy import Person
from brm.health.models import HealthSnapshot, ImprovementPlan, MaturityAssessment


def export_part(person: Person) -> dict[str, Any]:
    """Plans and assessments whose text mentions them (by name, address or phone)."""
    return {
        "improvement_plans": privacy.rows(
            ImprovementPlan.objects.filter(privacy.mentions(person, "reason")),
            "id",
            "unit__name",
            "status",
            "reason",
            "created_at",
        ),
        "maturity_assessments": privacy.rows(
            MaturityAssessment.objects.filter(privacy.mentions(person, "comment")),
            "id",
            "unit__name",
            "side",
            "comment",
            "created_at",
        ),
    }


def erase_part(person: Person) -> dict[str, int]:
    """Every mention of them leaves plans, assessments and watermelon reasons; the figures stay.
    A second run changes nothing."""
    return {
        "improvement_plans": privacy.scrub_rows(ImprovementPlan.objects.all(), person, ["reason"]),
        "maturity_assessments": privacy.scrub_rows(
            MaturityAssessment.objects.all(), person, ["comment"]
        ),
        "health_snapshots": privacy.scrub_rows(
            HealthSnapshot.objects.all(), person, ["watermelon_reason"]
        ),
    }
