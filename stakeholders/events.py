"""Events of the register that no user action triggers: a promise passing its due date."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from brm.core.events import make_event, publish_many
from stakeholders.models import ActionItem

# How far back a periodic run still reports a promise that fell overdue: a job that did not run
# for a few days (broker down) catches up; older ones were reported already or are old news.
OVERDUE_LOOKBACK_DAYS = 7


@transaction.atomic
def publish_overdue_commitments(today: date | None = None) -> int:
    """Publish `commitment.overdue` for every open promise whose due date passed ("overdue" is
    `ActionItemQuerySet.overdue`, the one rule) within the last `OVERDUE_LOOKBACK_DAYS` days.

    Once per promise and due date (the event key names both), so the hourly job may run any
    number of times; a promise whose due date is moved and passes again is reported again.
    Returns how many promises are overdue in that window (reported now or before).
    """
    today = today or timezone.localdate()
    items = list(
        ActionItem.objects.overdue(today)
        .filter(due_date__gte=today - timedelta(days=OVERDUE_LOOKBACK_DAYS))
        .order_by("pk")
    )
    publish_many(
        [
            make_event(
                "commitment.overdue",
                item,
                item.unit_id,
                key=f"commitment.overdue:{item.pk}:{item.due_date.isoformat()}",
            )
            for item in items
        ]
    )
    return len(items)
