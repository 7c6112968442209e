"""Read-side queries of relationship health for the dashboards and the API.

Every function runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from brm.health.models import HealthSnapshot, ImprovementPlan, PlanStatus

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

BANDS = ("red", "amber", "green", "none")


def latest_snapshots(user: AnyUser) -> QuerySet[HealthSnapshot]:
    """Each visible unit's newest snapshot, with its unit and BRM (one query)."""
    return (
        HealthSnapshot.objects.visible_to(user)
        .latest_per_unit()
        .filter(unit__active=True)
        .select_related("unit", "unit__brm")
    )


def score_history(unit_ids: list[int], days: int = 90) -> dict[int, list[dict[str, Any]]]:
    """Score points of a few units for sparklines (one query; call with a short list)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        HealthSnapshot.objects.filter(unit_id__in=unit_ids, as_of__gte=since)
        .order_by("as_of")
        .values("unit_id", "as_of", "score", "perception", "delivery")
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["unit_id"]].append(
            {
                "d": r["as_of"].isoformat(),
                "s": r["score"],
                "p": r["perception"],
                "dl": r["delivery"],
            }
        )
    return dict(out)


def unit_history(unit_id: int, days: int = 365) -> list[HealthSnapshot]:
    since = timezone.localdate() - timedelta(days=days)
    return list(HealthSnapshot.objects.filter(unit_id=unit_id, as_of__gte=since).order_by("as_of"))


@dataclass
class Attention:
    """One unit in a BRM's list, with the next best action."""

    snapshot: HealthSnapshot
    actions: list[dict[str, str]]
    urgency: float


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def next_best_actions(snapshot: HealthSnapshot) -> list[dict[str, str]]:
    """What the BRM should do next, read from the facts stored with the snapshot (no query)."""
    data = {row["key"]: row.get("data") or {} for row in snapshot.components}
    unit_id = snapshot.unit_id
    actions = []
    engagement = data.get("engagement", {})
    if engagement.get("review_days_late"):
        late = engagement["review_days_late"]
        actions.append(
            {
                "kind": "review",
                "text": f"Service review {_count(late, 'day')} overdue: hold it",
                "url": f"/reviews/?unit={unit_id}",
            }
        )
    complaints = data.get("complaints", {})
    if complaints.get("overdue"):
        actions.append(
            {
                "kind": "complaint",
                "text": f"{_count(complaints['overdue'], 'complaint')} past the deadline",
                "url": f"/complaints/?unit={unit_id}&overdue=true",
            }
        )
    commitments = data.get("commitments", {})
    if commitments.get("still_open"):
        actions.append(
            {
                "kind": "promise",
                "text": f"{_count(commitments['still_open'], 'promise')} overdue",
                "url": f"/commitments/?unit={unit_id}&overdue=true&mine=false",
            }
        )
    for person in engagement.get("neglected", [])[:2]:
        days = person.get("days")
        since = f"not met for {_count(days, 'day')}" if days is not None else "never met"
        actions.append(
            {
                "kind": "contact",
                "text": f"Meet {person['name']} ({since})",
                "url": f"/stakeholders/{person['id']}/",
            }
        )
    return actions


def my_relationships(user: AnyUser) -> list[Attention]:
    """The units a BRM manages (as BRM or deputy), most in need of attention first."""
    snapshots = latest_snapshots(user).filter(Q(unit__brm=user) | Q(unit__deputy=user))
    out = []
    for snap in snapshots:
        actions = next_best_actions(snap)
        score = snap.score if snap.score is not None else 75.0
        urgency = (100 - score) + (40 if snap.watermelon else 0) + 8 * len(actions)
        urgency += max(0.0, -(snap.trend or 0))
        out.append(Attention(snap, actions, round(urgency, 1)))
    out.sort(key=lambda a: -a.urgency)
    return out


def survey_comments(unit_id: int, days: int = 180, limit: int = 8) -> list[Any]:
    """Recent free-text survey answers of a unit, never from anonymous campaigns (one query)."""
    from satisfaction.models import Answer

    since = timezone.now() - timedelta(days=days)
    return list(
        Answer.objects.filter(
            response__unit_id=unit_id,
            response__submitted_at__gte=since,
            response__campaign__anonymous=False,
            question__kind="free_text",
        )
        .exclude(text="")
        .select_related("response__campaign")
        .order_by("-response__submitted_at", "-pk")[:limit]
    )


def active_plans(unit_ids: list[int] | None = None) -> QuerySet[ImprovementPlan]:
    """Active plans with their progress counted in the database (one query)."""
    today = timezone.localdate()
    qs = ImprovementPlan.objects.filter(status=PlanStatus.ACTIVE)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs.select_related("unit").annotate(
        total=Count("actions"),
        done=Count("actions", filter=Q(actions__status="done")),
        overdue=Count("actions", filter=Q(actions__status="open", actions__due_date__lt=today)),
    )
