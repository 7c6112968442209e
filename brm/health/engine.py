"""Score every unit's relationship health and store it as history.

`compute_health` is pure reading: a fixed number of queries for all units together, whatever
their number. Everything is computed from the data as it stood at the instant asked, never from
stored snapshots: the trend (score against 30 days earlier) and the perception change (against the
previous window) are computed directly too, so a fresh installation or an import has them on its
first run and a back-filled history agrees with a recompute. `recompute_health` stores one snapshot
per unit and day (recomputing the same day replaces it, so the job is idempotent) and proposes an
improvement plan for units that entered red.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from brm.core.events import Event, make_event, publish_many
from brm.health.components import COMPUTE, SIGNALS, Component
from brm.health.facts import Fact, FactKind, Visibility
from brm.health.models import COMPONENT_LABELS, COMPONENTS, HealthSettings, HealthSnapshot
from brm.health.plans import propose_plans
from stakeholders import selectors as register_selectors

TREND_DAYS = 30
# A component without data, as the snapshot stores it (English text, rendered when read).
NO_DATA = Fact("No data yet", msg="none")


@dataclass
class UnitHealth:
    unit_id: int
    score: float | None
    band: str
    components: dict[str, Component | None]
    weights: dict[str, int]
    watermelon: bool = False
    watermelon_reason: str = ""
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
                    "facts": [f.stored() for f in (c.facts if c else [NO_DATA])],
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


def perception_change(perception: Component | None) -> float | None:
    """Points the blended perception moved against the previous window (negative: a fall), from
    the figures the component computed for both windows; None without both."""
    if perception is None or perception.data.get("previous") is None:
        return None
    return round(perception.value - float(perception.data["previous"]), 1)


def watermelon_reason(
    delivery: float | None, perception: Component | None, cfg: HealthSettings
) -> str:
    """Why the unit is a watermelon in one sentence ("" when it is not): `watermelon_facts`
    joined, as the snapshot stores it for IT's dashboard and digest."""
    return "; ".join(f.text for f in watermelon_facts(delivery, perception, cfg))


def watermelon_facts(
    delivery: float | None, perception: Component | None, cfg: HealthSettings
) -> list[Fact]:
    """The one watermelon rule: green outside (SLAs met), red inside (the business is unhappy or
    fast becoming so). Returns each reason as a fact (kind `watermelon`), none when the unit is
    not a watermelon; a fall of meeting sentiment is IT's to read (visibility `analysis`).

    Only when delivery is at least `watermelon_delivery_from`, any of:
    - perception below `watermelon_perception_below`;
    - the blended perception fell by more than `watermelon_perception_drop` points against the
      previous window, both windows resting on at least `watermelon_min_answers` answers;
    - any one signal (survey satisfaction, meeting sentiment, complaint-resolution ratings) with
      at least `watermelon_min_answers` answers in both windows fell by more than
      `watermelon_perception_drop` points (each signal on its 0-100 scale), so a steep fall of
      CSAT alone warns even when the other signals hold the blend up.
    The snapshot stores the flag and the joined reason (`HealthSnapshot.watermelon_reason`,
    read by IT's dashboard, digest and My relationships); the perception component's facts
    carry each reason with its visibility, which the unit page, its PDF and the API filter.
    """
    if delivery is None or perception is None or delivery < cfg.watermelon_delivery_from:
        return []
    drop, least = cfg.watermelon_perception_drop, cfg.watermelon_min_answers
    reasons: list[Fact] = []
    if perception.value < cfg.watermelon_perception_below:
        reasons.append(
            Fact.of(
                "watermelon.low",
                FactKind.WATERMELON,
                value=perception.value,
                threshold=cfg.watermelon_perception_below,
            )
        )
    counts = perception.data.get("counts", {})
    prev_counts = perception.data.get("previous_counts", {})
    change = perception_change(perception)
    if (
        change is not None
        and change < -drop
        and sum(counts.values()) >= least
        and sum(prev_counts.values()) >= least
    ):
        reasons.append(
            Fact.of("watermelon.fell", FactKind.WATERMELON, points=-change, days=cfg.window_days)
        )
    signals = perception.data.get("signals", {})
    prev_signals = perception.data.get("previous_signals", {})
    for key in SIGNALS:
        now_score, then_score = signals.get(key), prev_signals.get(key)
        if now_score is None or then_score is None:
            continue
        if counts.get(key, 0) < least or prev_counts.get(key, 0) < least:
            continue
        if then_score - now_score > drop:
            reasons.append(
                Fact.of(
                    "watermelon.signal_fell",
                    FactKind.WATERMELON,
                    # Meeting sentiment is how IT read its meetings: IT's working notes.
                    Visibility.ANALYSIS if key == "sentiment" else Visibility.EVERYONE,
                    signal=key,
                    before=then_score,
                    now=now_score,
                    days=cfg.window_days,
                )
            )
    return reasons


def _components(now: datetime, cfg: HealthSettings) -> dict[str, dict[int, Component]]:
    """Every component for every unit as of `now` (a fixed number of queries).

    With no language active: each fact's stored `text` is the English sentence whoever's
    request or worker computes it (readers render its message id in their own language)."""
    with translation.override(None):
        return {name: fn(now, cfg) for name, fn in COMPUTE.items()}


def _values(results: dict[str, dict[int, Component]], unit_id: int) -> dict[str, float | None]:
    return {name: (c.value if (c := results[name].get(unit_id)) else None) for name in COMPONENTS}


# Both instants' components of one run (`now` and `TREND_DAYS` earlier), as `run_components`
# returns them; a chunked recompute computes them once per worker process and run.
RunComponents = tuple[dict[str, dict[int, Component]], dict[str, dict[int, Component]]]


def _same(component: Component | None) -> Component | None:
    return component


def run_components(now: datetime, cfg: HealthSettings) -> RunComponents:
    """Every component for every unit as of `now` and `TREND_DAYS` earlier (fixed query count)."""
    return _components(now, cfg), _components(now - timedelta(days=TREND_DAYS), cfg)


def compute_health(
    now: datetime | None = None,
    *,
    unit_ids: Collection[int] | None = None,
    components: RunComponents | None = None,
) -> list[UnitHealth]:
    """Health of every active unit as of `now` (or of those in `unit_ids`: one chunk of a
    recompute), from the data as it stood then. `components` are `run_components(now, ...)`
    computed beforehand (the chunk tasks share them); they are read, never changed.

    `trend` is the score's change against the score computed the same way for `TREND_DAYS`
    earlier (always computed, never read from a stored snapshot); `perception_change` is the
    blended perception against the previous window (`perception_change`).

    Computed with no language active, so the stored sentences are English (see `_components`).
    """
    with translation.override(None):
        return _compute_health(now, unit_ids, components)


def _compute_health(
    now: datetime | None, unit_ids: Collection[int] | None, components: RunComponents | None
) -> list[UnitHealth]:
    now = now or timezone.now()
    cfg = HealthSettings.get()
    weights = cfg.weights()
    results, earlier = components or run_components(now, cfg)
    units = register_selectors.active_units()
    if unit_ids is not None:
        units = units.filter(pk__in=list(unit_ids))
    out = []
    # Shared components are copied per unit: the facts added below are this unit's alone.
    own = copy.deepcopy if components is not None else _same
    for unit_id in units.values_list("pk", flat=True):
        comps = {name: own(results[name].get(unit_id)) for name in COMPONENTS}
        values = _values(results, unit_id)
        score = weighted_score(values, weights)
        prev_score = weighted_score(_values(earlier, unit_id), weights)
        trend = (
            round(score - prev_score, 1) if score is not None and prev_score is not None else None
        )
        reasons = watermelon_facts(values["delivery"], comps["perception"], cfg)
        reason = "; ".join(f.text for f in reasons)
        if reasons and comps["perception"] is not None:
            # The unit page explains the flag where it explains perception, reason by reason,
            # each with its own visibility.
            comps["perception"].facts += [f.prefixed() for f in reasons]
        out.append(
            UnitHealth(
                unit_id=unit_id,
                score=score,
                band=cfg.band(score),
                components=comps,
                weights=weights,
                watermelon=bool(reason),
                watermelon_reason=reason,
                trend=trend,
                perception_change=perception_change(comps["perception"]),
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
    before = (
        {
            s.unit_id: s
            for s in HealthSnapshot.objects.filter(
                unit_id__in=[h.unit_id for h in healths]
            ).latest_per_unit(on_or_before=as_of)
        }
        if propose
        else {}
    )
    snapshots = [
        HealthSnapshot(
            unit_id=h.unit_id,
            as_of=as_of,
            score=h.score,
            band=h.band,
            trend=h.trend,
            perception_change=h.perception_change,
            watermelon=h.watermelon,
            watermelon_reason=h.watermelon_reason,
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
            "watermelon_reason",
            "components",
            *COMPONENTS,
            "updated_at",
        ],
    )
    if propose:
        # The same queries whether or not a unit is red (see `propose_plans`), so the job's
        # query count does not depend on the day's scores.
        propose_plans([h for h in healths if h.band == "red"], now=now)
        publish_many(health_events(before, stored, now))
    return stored


def health_events(
    before: dict[int, HealthSnapshot], stored: list[HealthSnapshot], now: datetime
) -> list[Event]:
    """`health.band_changed` for each unit whose band differs from its previous snapshot
    (`before`: the latest one on or before the day, as it stood before this recompute), and
    `health.watermelon_detected` for each unit that is a watermelon now and was not then.

    A unit's first snapshot is its baseline: nothing changed, so no event. Each event has a
    key (unit, day, band), so recomputing the same day again does not repeat it.
    """
    out = []
    for snapshot in stored:
        old = before.get(snapshot.unit_id)
        if old is None:
            continue
        day = snapshot.as_of.isoformat()
        if snapshot.band != old.band:
            key = f"health.band_changed:{snapshot.unit_id}:{day}:{snapshot.band}"
            out.append(
                make_event(
                    "health.band_changed", snapshot, snapshot.unit_id, key=key, occurred_at=now
                )
            )
        if snapshot.watermelon and not old.watermelon:
            key = f"health.watermelon_detected:{snapshot.unit_id}:{day}"
            out.append(
                make_event(
                    "health.watermelon_detected",
                    snapshot,
                    snapshot.unit_id,
                    key=key,
                    occurred_at=now,
                )
            )
    return out
