"""Operations on relationship health that people start by hand (the nightly job runs the engine)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext

from brm.core.outbox import queue_after_commit
from brm.core.roles import require
from brm.health.permissions import may_recompute
from brm.health.tasks import recompute_health_chunk, recompute_health_task

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


def request_recompute(*, actor: AnyUser | None) -> None:
    """Queue a recompute of every unit's health after commit (the dashboard button).

    Raises `ForbiddenAction` unless `may_recompute(actor)`; nothing is queued then.
    """
    require(
        may_recompute(actor), gettext("Only IT leadership and administrators recompute every unit.")
    )
    queue_after_commit(recompute_health_task)


def request_unit_recompute(unit: BusinessUnit, *, actor: AnyUser | None) -> None:
    """Queue a recompute of one unit's health after commit (the unit health page's button): a
    one-unit chunk of a run of its own, as of now (the same snapshot the nightly run stores).

    Raises `ForbiddenAction` unless `may_recompute(actor, unit)`; nothing is queued then.
    """
    require(
        may_recompute(actor, unit),
        gettext(
            "Only the unit's relationship managers, IT leadership and administrators recompute it."
        ),
    )
    queue_after_commit(
        recompute_health_chunk, [unit.pk], timezone.now().isoformat(), uuid.uuid4().hex
    )
