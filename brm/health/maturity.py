"""The two-sided maturity check: the BRM and the unit's leader each rate the relationship."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from brm.core.errors import ForbiddenAction
from brm.core.roles import require, stored_user
from brm.health.models import MaturityAssessment, Side
from brm.health.permissions import may_rate_maturity, rating_side

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


@dataclass
class GapPoint:
    at: datetime
    it: int
    business: int

    @property
    def gap(self) -> int:
        return self.it - self.business


@dataclass
class MaturityView:
    """Each side's latest rating, the gap between them now, and how it moved."""

    ratings: list[MaturityAssessment]
    latest: dict[str, MaturityAssessment | None]
    trend: list[GapPoint] = field(default_factory=list)

    @property
    def gap(self) -> int | None:
        it, business = self.latest["it"], self.latest["business"]
        return it.level - business.level if it and business else None


def maturity_view(unit: BusinessUnit, limit: int = 20) -> MaturityView:
    """The unit's recent ratings, newest first, with the gap after each rating (one query)."""
    ratings = list(
        MaturityAssessment.objects.filter(unit=unit)
        .select_related("rated_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    latest = {side: next((r for r in ratings if r.side == side), None) for side in Side.values}
    return MaturityView(ratings, latest, gap_trend(ratings))


def gap_trend(ratings: list[MaturityAssessment]) -> list[GapPoint]:
    """How far apart the two sides' views were after each new rating, oldest first."""
    levels: dict[str, int] = {}
    trend = []
    for rating in sorted(ratings, key=lambda r: (r.created_at, r.pk)):
        levels[rating.side] = rating.level
        if len(levels) == 2:
            trend.append(GapPoint(rating.created_at, levels["it"], levels["business"]))
    return trend


def rate_maturity(
    unit: BusinessUnit, *, actor: AnyUser, level: int, comment: str = ""
) -> MaturityAssessment:
    """Record the actor's side's view; anyone else has no side to speak for.

    Raises `ForbiddenAction` (nothing written) unless `may_rate_maturity(actor, unit)`.
    """
    require(
        may_rate_maturity(actor, unit),
        gettext("Only the unit's BRM and its business leaders rate the relationship."),
    )
    side = rating_side(actor, unit)
    if side is None:  # may_rate_maturity already refused anyone without a side
        raise ForbiddenAction(
            gettext("Only the unit's BRM and its business leaders rate the relationship.")
        )
    return MaturityAssessment.objects.create(
        unit=unit, side=side, level=level, comment=comment, rated_by=stored_user(actor)
    )
