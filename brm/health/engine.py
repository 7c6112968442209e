"""Score every unit's relationship health and store it as history.

`compute_health` is pure reading: about a dozen queries for all units together, whatever their
number. `recompute_health` stores one snapshot per unit and day (recomputing the same day replaces
it, so the job is idempotent) and proposes an improvement plan for units that entered red.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from brm.health.components import COMPUTE, Component
from brm.health.models import COMPONENT_LABELS, COMPONENTS, HealthSettings, HealthSnapshot
from brm.health.plans import propose_plans
from stakeholders import selectors as register_selectors

TREND_DAYS = 30


@dataclass
class UnitHealth:
    unit_id: int
    score: float | None
    band: str
    components: dict[str, Component | None]
    weights: dict[str, int]
    watermelon: bool = False
    trend: float | None = None
    perception_change: float | None = None

    def component_rows(self) -> list[dict[str, Any]]:
        """What the snapshot stores and the page explains, in display order."""
        rows = []
        for name in COMPONENTS:
            c = self.components.get(name)
            rows.append(
                {
                    "key": name,
                    "label": COMPONENT_LABELS[name],
                    "weight": self.weights[name],
                    "value": c.value if c else None,
                    "facts": c.facts if c else ["No data yet"],
                    "data": c.data if c else {},
                }
            )
        return rows


def weighted_score(values: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """Weighted mean over the components that have data; missing ones are left out and the
    remaining weights renormalised (never counted as 0 or 100)."""
    present = {k: v for k, v in values.items() if v is not None and weights.get(k, 0) > 0}
    total = sum(weights[k] for k in present)
    if not total:
        return None
    return round(sum(v * weights[k] for k, v in present.items()) / total, 1)


def is_watermelon(
    delivery: float | None,
    perception: float | None,
    perception_change: float | None,
    cfg: HealthSettings,
) -> bool:
    """Green outside (SLAs met), red inside (the business is unhappy or fast becoming so)."""
    if delivery is None or perception is None or delivery < cfg.watermelon_delivery_from:
        return False
    falling = perception_change is not None and perception_change < -cfg.watermelon_perception_drop
    return perception < cfg.watermelon_perception_below or falling


def _previous(as_of_date: date) -> dict[int, dict[str, float | None]]:
    """Each unit's last snapshot at least 30 days old (one query)."""
    cut = as_of_date - timedelta(days=TREND_DAYS)
    older = HealthSnapshot.objects.filter(unit=OuterRef("pk"), as_of__lte=cut).order_by("-as_of")
    rows = (
        register_selectors.active_units()
        .annotate(
            prev_score=Subquery(older.values("score")[:1]),
            prev_perception=Subquery(older.values("perception")[:1]),
        )
        .values("pk", "prev_score", "prev_perception")
    )
    return {
        r["pk"]: {"prev_score": r["prev_score"], "prev_perception": r["prev_perception"]}
        for r in rows
    }


# The components of one run, as `run_components` returns them; a chunked recompute computes them
# once per worker process and run.
RunComponents = dict[str, dict[int, Component]]


def run_components(now: datetime, cfg: HealthSettings) -> RunComponents:
    """Every component for every unit as of `now` (a fixed number of queries)."""
    return {name: fn(now, cfg) for name, fn in COMPUTE.items()}


def _same(component: Component | None) -> Component | None:
    return component


def compute_health(
    now: datetime | None = None,
    *,
    unit_ids: Collection[int] | None = None,
    components: RunComponents | None = None,
) -> list[UnitHealth]:
    """Health of every active unit as of `now` (or of those in `unit_ids`: one chunk of a
    recompute). `components` are `run_components(now, ...)` computed beforehand (the chunk
    tasks share them); they are read, never changed."""
    now = now or timezone.now()
    cfg = HealthSettings.get()
    weights = cfg.weights()
    results = components or run_components(now, cfg)
    previous = _previous(timezone.localdate(now))
    units = register_selectors.active_units()
    if unit_ids is not None:
        units = units.filter(pk__in=list(unit_ids))
    out = []
    # Shared components are copied per unit, so nothing done with one unit's leaks into them.
    own = copy.deepcopy if components is not None else _same
    for unit_id in units.values_list("pk", flat=True):
        comps = {name: own(results[name].get(unit_id)) for name in COMPONENTS}
        values = {name: (c.value if c else None) for name, c in comps.items()}
        score = weighted_score(values, weights)
        prev = previous.get(unit_id, {})
        prev_score, prev_perception = prev.get("prev_score"), prev.get("prev_perception")
        trend = (
            round(score - prev_score, 1) if score is not None and prev_score is not None else None
        )
        p_change = (
            round(values["perception"] - prev_perception, 1)
            if values["perception"] is not None and prev_perception is not None
            else None
        )
        out.append(
            UnitHealth(
                unit_id=unit_id,
                score=score,
                band=cfg.band(score),
                components=comps,
                weights=weights,
                watermelon=is_watermelon(values["delivery"], values["perception"], p_change, cfg),
                trend=trend,
                perception_change=p_change,
            )
        )
    return out


@transaction.atomic
def recompute_health(
    now: datetime | None = None,
    *,
    propose: bool = True,
    unit_ids: Collection[int] | None = None,
    components: RunComponents | None = None,
) -> list[HealthSnapshot]:
    """Store the snapshot of `now`'s day for every unit and propose plans for units in red.

    One transaction: a recompute (or one chunk of it, `unit_ids`, see `brm.health.tasks`) is
    stored whole or not at all, never half-written. Chunks of one run store exactly what one
    run over all units does (same `now`, same components; tests/ops/test_recompute_chunks.py).
    `propose=False` is for back-filling history (demo data, after an import), where past reds
    must not open plans today.
    """
    now = now or timezone.now()
    as_of = timezone.localdate(now)
    healths = compute_health(now, unit_ids=unit_ids, components=components)
    snapshots = [
        HealthSnapshot(
            unit_id=h.unit_id,
            as_of=as_of,
            score=h.score,
            band=h.band,
            trend=h.trend,
            perception_change=h.perception_change,
            watermelon=h.watermelon,
            components=h.component_rows(),
            **{name: (c.value if c else None) for name, c in h.components.items()},
        )
        for h in healths
    ]
    stored = HealthSnapshot.objects.bulk_create(
        snapshots,
        # No batch_size: the backend's own limit (one statement on PostgreSQL), so the query
        # count does not grow with the number of units.
        update_conflicts=True,
        unique_fields=["unit", "as_of"],
        update_fields=[
            "score",
            "band",
            "trend",
            "perception_change",
            "watermelon",
            "components",
            *COMPONENTS,
            "updated_at",
        ],
    )
    if propose:
        # The same queries whether or not a unit is red (see `propose_plans`), so the job's
        # query count does not depend on the day's scores.
        propose_plans([h for h in healths if h.band == "red"], now=now)
    return stored
