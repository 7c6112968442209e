"""Demo history of relationship health: weekly points over half a year, then today."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from brm.health.engine import recompute_health
from brm.health.models import HealthSnapshot

WEEKS = 26


def seed_health_demo() -> int:
    """Back-fill weekly snapshots so trends and sparklines have a past (idempotent).

    Each past week is computed from the data as it then stood (every window is relative to the
    date), without opening improvement plans; today's run proposes plans for units in red.
    """
    if HealthSnapshot.objects.exists():
        return 0
    now = timezone.now()
    for weeks_ago in range(WEEKS, 0, -1):
        recompute_health(now - timedelta(weeks=weeks_ago), propose=False)
    return len(recompute_health(now))
