"""Demo history of relationship health: weekly points over half a year, then today."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from brm.health.engine import recompute_health
from brm.health.models import HealthSnapshot

WEEKS = 26


def seed_health_demo() -> int:
    """Back-fill weekly snapshots so trends and sparklines have a past (idempotent).

    Each past week is computed from the data as it then stood (each app's selector takes the
    instant: complaints open on that date with their escalation then, contacts, reviews, answers
    and SLA periods before it, promises as they then stood), without opening improvement plans;
    today's run proposes plans for units in red. Every component stays within 0-100.
    """
    if HealthSnapshot.objects.exists():
        return 0
    now = timezone.now()
    for weeks_ago in range(WEEKS, 0, -1):
        recompute_health(now - timedelta(weeks=weeks_ago), propose=False)
    return len(recompute_health(now))
