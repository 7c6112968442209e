"""Operations on relationship health that people start by hand (the nightly job runs the engine)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.outbox import queue_after_commit
from brm.core.roles import require
from brm.health.permissions import may_recompute
from brm.health.tasks import recompute_health_task

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def request_recompute(*, actor: AnyUser | None) -> None:
    """Queue a recompute of every unit's health after commit (the dashboard button).

    Raises `ForbiddenAction` unless `may_recompute(actor)`; nothing is queued then.
    """
    require(may_recompute(actor), "Your role may not recompute relationship health.")
    queue_after_commit(recompute_health_task)
