"""The five health components, each computed for every unit at once.

Each function runs a fixed number of set-based queries (GROUP BY unit) whatever the number of
units, and returns `{unit_id: Component}`. A unit missing from the result has no data for that
component: it is shown as "no data" and left out of the score, never counted as 0 or 100.

Every function reads the data as it stood at `now`, so a back-filled or recomputed snapshot of a
past date counts only what had happened by then (complaints open on that date, contacts, reviews
and answers before it, promises as they then stood, SLA periods ended by then): each app's
selector takes the instant. Every value is clamped to 0-100 (`_bounded`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from brm.health.facts import Fact, FactKind
from brm.health.models import HealthSettings
from complaints import selectors as complaint_selectors
from portfolio.selectors import catalogue as catalogue_selectors
from reviews import selectors as review_selectors
from satisfaction import selectors as survey_selectors
from stakeholders import selectors as register_selectors

SEVERITY_PENALTY = {"low": 4, "medium": 8, "high": 15, "critical": 25}
# Perception blends what the business tells us in three ways; surveys speak loudest.
PERCEPTION_MIX = {"surveys": 0.5, "sentiment": 0.3, "complaint_ratings": 0.2}


@dataclass
class Component:
    """One component's value (0-100) and the facts a person can check behind it (each with a
    kind saying who may read it, `brm.health.facts`)."""

    value: float
    facts: list[Fact] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _clamp(value: float) -> float:
    """Kept within 0-100 whatever the inputs (a rating or score outside its scale)."""
    return min(100.0, max(0.0, value))


def _bounded(value: float) -> float:
    """A component value: within 0-100, rounded to 0.1."""
    return round(_clamp(value), 1)


# --- Delivery ---------------------------------------------------------------------------------


def delivery(now: datetime, cfg: HealthSettings) -> dict[int, Component]:
    """Share of service-metric periods in the window that met their SLA, per consuming unit."""
    last_end = timezone.localdate(now)  # periods ended by then
    first_end = last_end - timedelta(days=cfg.window_days - 1)
    totals = catalogue_selectors.sla_periods_by_unit(first_end, last_end)
    missed = catalogue_selectors.sla_misses_by_unit(first_end, last_end)
    out = {}
    for unit_id, row in totals.items():
        total, met = row["periods"], row["met"]
        facts = [Fact.of("delivery.sla_met", met=met, total=total, pct=_pct(met, total))]
        facts += [
            Fact.of("delivery.sla_missed", service=name, n=n)
            for name, n in missed.get(unit_id, [])[:3]
        ]
        out[unit_id] = Component(_bounded(_pct(met, total)), facts, {"periods": total, "met": met})
    return out


# --- Perception -------------------------------------------------------------------------------


def _sentiment(since: datetime, until: datetime) -> dict[int, dict[str, float]]:
    return register_selectors.sentiment_by_unit(since, until)


def _complaint_ratings(since: datetime, until: datetime) -> dict[int, dict[str, float]]:
    return complaint_selectors.resolution_ratings_by_unit(since, until)


def _surveys(since: datetime, until: datetime) -> dict[int, dict[str, float]]:
    """CSAT (1-5) and NPS (-100..100) per unit from survey answers in the window."""
    return survey_selectors.perception_by_unit(since, until)


def _survey_score(s: dict[str, float]) -> float | None:
    parts = []
    if s.get("csat") is not None:
        parts.append((float(s["csat"]) - 1) / 4 * 100)
    if s.get("nps") is not None:
        parts.append((float(s["nps"]) + 100) / 2)
    return sum(parts) / len(parts) if parts else None


# The perception signals, in the order the watermelon rule reads them (their names, in the
# reader's language, are `brm.health.facts.SIGNAL_NAMES`).
SIGNALS = ("surveys", "sentiment", "complaint_ratings")


def _signal_scores(
    surveys: dict[str, Any] | None,
    sentiment: dict[str, float] | None,
    ratings: dict[str, float] | None,
) -> tuple[dict[str, float], dict[str, int]]:
    """Each perception signal of one unit mapped to 0-100, and how many answers it rests on
    (survey responses, contacts, ratings)."""
    scores: dict[str, float] = {}
    counts: dict[str, int] = {}
    if surveys and surveys.get("responses"):
        score = _survey_score(surveys)
        if score is not None:
            scores["surveys"] = _clamp(score)
            counts["surveys"] = int(surveys["responses"])
    if sentiment:
        scores["sentiment"] = _clamp((sentiment["avg"] + 2) / 4 * 100)
        counts["sentiment"] = int(sentiment["n"])
    if ratings:
        scores["complaint_ratings"] = _clamp((ratings["avg"] - 1) / 4 * 100)
        counts["complaint_ratings"] = int(ratings["n"])
    return scores, counts


def _blend(scores: dict[str, float]) -> float | None:
    """PERCEPTION_MIX over the signals that have data (renormalised), None without any."""
    if not scores:
        return None
    total_weight = sum(PERCEPTION_MIX[k] for k in scores)
    return _bounded(sum(scores[k] * PERCEPTION_MIX[k] for k in scores) / total_weight)


def perception(now: datetime, cfg: HealthSettings) -> dict[int, Component]:
    """How the business feels: surveys (CSAT/NPS), meeting sentiment, complaint-resolution ratings.

    Each signal is mapped to 0-100 and blended by PERCEPTION_MIX over the signals that have data.
    The same figures for the previous window (the `window_days` before this one) are computed
    directly, never read from stored snapshots, so a fresh installation or an import sees a fall
    on its first run: they give the "down from" facts, `data["previous"]` (the blended value
    then) and `data["previous_signals"]`/`data["previous_counts"]`, which the watermelon rule
    (`brm.health.engine.watermelon_reason`) compares signal by signal.
    """
    window = timedelta(days=cfg.window_days)
    since, before = now - window, now - 2 * window
    current = {
        "surveys": _surveys(since, now),
        "sentiment": _sentiment(since, now),
        "complaint_ratings": _complaint_ratings(since, now),
    }
    previous = {
        "surveys": _surveys(before, since),
        "sentiment": _sentiment(before, since),
        "complaint_ratings": _complaint_ratings(before, since),
    }
    out = {}
    unit_ids = set().union(*(signal.keys() for signal in current.values()))
    for unit_id in unit_ids:
        scores, counts = _signal_scores(
            *(current[k].get(unit_id) for k in ("surveys", "sentiment", "complaint_ratings"))
        )
        prev_scores, prev_counts = _signal_scores(
            *(previous[k].get(unit_id) for k in ("surveys", "sentiment", "complaint_ratings"))
        )
        value = _blend(scores)
        if value is None:
            continue
        facts: list[Fact] = []
        s = current["surveys"].get(unit_id)
        if "surveys" in scores and s:
            facts.append(_survey_fact(s, previous["surveys"].get(unit_id)))
        m = current["sentiment"].get(unit_id)
        if m:
            prev = previous["sentiment"].get(unit_id)
            # How IT read its meetings: IT's working notes, not the business's to read.
            facts.append(
                Fact.of(
                    "perception.sentiment",
                    FactKind.SENTIMENT,
                    avg=float(m["avg"]),
                    n=int(m["n"]),
                    previous=float(prev["avg"]) if prev else None,
                )
            )
        r = current["complaint_ratings"].get(unit_id)
        if r:
            prev = previous["complaint_ratings"].get(unit_id)
            facts.append(
                Fact.of(
                    "perception.ratings",
                    avg=float(r["avg"]),
                    n=int(r["n"]),
                    previous=float(prev["avg"]) if prev else None,
                )
            )
        out[unit_id] = Component(
            value,
            facts,
            {
                "signals": scores,
                "counts": counts,
                "previous": _blend(prev_scores),
                "previous_signals": prev_scores,
                "previous_counts": prev_counts,
            },
        )
    return out


def _survey_fact(s: dict[str, float], prev: dict[str, float] | None) -> Fact:
    """CSAT (with its change when it moved 0.1 or more) and NPS, from how many responses."""
    csat, nps = s.get("csat"), s.get("nps")
    previous = prev.get("csat") if prev else None
    return Fact.of(
        "perception.surveys",
        csat=float(csat) if csat is not None else None,
        csat_previous=float(previous) if previous is not None else None,
        nps=float(nps) if nps is not None else None,
        n=int(s["responses"]),
    )


# --- Complaints -------------------------------------------------------------------------------


def complaints(now: datetime, cfg: HealthSettings) -> dict[int, Component]:
    """100 minus penalties for open complaints, weighted by severity, age, overdue and escalation,
    kept within 0-100.

    Open, overdue and the escalation level are the complaints app's one rule as they stood at
    `now` (`complaints.selectors.open_by_unit`: filed by then, not yet resolved, closed or
    withdrawn then), the same the work queue's `overdue=true` filter lists for the present. Age
    is whole days since filing, never negative. A unit with no complaint open then and none filed
    in the year before has no data here.
    """
    by_unit = complaint_selectors.open_by_unit(now)
    # `filed_by_unit` excludes its upper bound; one filed at `now` itself counts, as it does above.
    recent_by_unit = complaint_selectors.filed_by_unit(
        now - timedelta(days=365), now + timedelta(microseconds=1)
    )
    out = {}
    for unit_id in set(by_unit) | set(recent_by_unit):
        rows = by_unit.get(unit_id, [])
        penalty, overdue, escalated = 0.0, 0, 0
        per_severity: dict[str, list[int]] = defaultdict(list)
        for c in rows:
            age = max(0, (now - c.created_at).days)
            per_severity[c.severity].append(age)
            penalty += SEVERITY_PENALTY.get(c.severity, 8) * (1 + min(age, 60) / 30)
            if c.overdue:
                overdue += 1
                penalty += 10
            if c.escalation_level:
                escalated += 1
                penalty += 5 * c.escalation_level
        facts: list[Fact] = []
        for severity in ("critical", "high", "medium", "low"):
            ages = per_severity.get(severity)
            if ages:
                facts.append(
                    Fact.of("complaints.open", severity=severity, n=len(ages), days=max(ages))
                )
        if overdue:
            facts.append(Fact.of("complaints.overdue", n=overdue))
        if escalated:
            facts.append(Fact.of("complaints.escalated", n=escalated))
        if not rows:
            n = recent_by_unit[unit_id]["recorded"]
            facts.append(Fact.of("complaints.none_open", n=n))
        value = _bounded(100 - penalty)
        out[unit_id] = Component(
            value, facts, {"open": len(rows), "overdue": overdue, "escalated": escalated}
        )
    return out


# --- Engagement -------------------------------------------------------------------------------


def _quadrant(influence: int, interest: int) -> str:
    if influence >= 4:
        return "manage" if interest >= 4 else "satisfy"
    return "inform" if interest >= 4 else "monitor"


def engagement(now: datetime, cfg: HealthSettings) -> dict[int, Component]:
    """Contact with high-influence stakeholders as often as their quadrant expects (60 %), and
    service reviews held on schedule (40 %), from contacts and reviews held by `now`.

    When the next review is due, and whether it is late, is the reviews app's one rule
    (`reviews.selectors.review_schedule_by_unit`), the same the review list's schedule shows.
    """
    contact: dict[int, dict[str, Any]] = defaultdict(lambda: {"ok": 0, "total": 0, "missed": []})
    for p in register_selectors.key_contacts(as_of=now):
        expected = cfg.contact_days(_quadrant(p.influence, p.interest))
        entry = contact[p.unit_id]
        entry["total"] += 1
        if p.last_met_at and (now - p.last_met_at).days <= expected:
            entry["ok"] += 1
        else:
            days = (now - p.last_met_at).days if p.last_met_at else None
            entry["missed"].append({"id": p.id, "name": p.name, "days": days, "expected": expected})
    out = {}
    for unit_id, schedule in review_selectors.review_schedule_by_unit(now).items():
        parts: dict[str, float] = {}
        facts: list[Fact] = []
        c = contact.get(unit_id)
        if c and c["total"]:
            parts["contact"] = _pct(c["ok"], c["total"])
            # A count rates nobody in particular; each named person's expected frequency
            # follows from how IT rates them (their quadrant), so those are analysis.
            facts.append(Fact.of("engagement.contacts", ok=c["ok"], n=c["total"]))
            facts += [
                Fact.of(
                    "engagement.not_met",
                    FactKind.ANALYSIS,
                    name=m["name"],
                    days=m["days"],
                    expected=m["expected"],
                )
                for m in c["missed"][:3]
            ]
        due = schedule.next_due_at
        days_late = 0
        if due is not None:
            days_late = schedule.days_late(now)
            if days_late > 0:
                parts["reviews"] = max(0.0, 100 - 100 * days_late / schedule.cadence_days)
                facts.append(Fact.of("engagement.review_overdue", n=days_late))
            else:
                parts["reviews"] = 100.0
                facts.append(
                    Fact.of(
                        "engagement.review_on_schedule", due=timezone.localdate(due).isoformat()
                    )
                )
        if not parts:
            continue
        weights = {"contact": 0.6, "reviews": 0.4}
        value = sum(parts[k] * weights[k] for k in parts) / sum(weights[k] for k in parts)
        out[unit_id] = Component(
            _bounded(value),
            facts,
            {
                "neglected": c["missed"] if c else [],
                "review_due": due.isoformat() if due else None,
                "review_days_late": max(days_late, 0),
            },
        )
    return out


# --- Commitments ------------------------------------------------------------------------------


def commitment_window(today: date, cfg: HealthSettings) -> tuple[date, date]:
    """The due dates the commitments component judges: the last `window_days` days to today."""
    return today - timedelta(days=cfg.window_days - 1), today


def commitments(now: datetime, cfg: HealthSettings) -> dict[int, Component]:
    """Share of IT's promises due in the window that were kept on time, as they stood on `now`'s
    day.

    Kept on time, late, dropped and overdue are the register's one rule
    (`stakeholders.selectors.promise_counts_by_unit`): a promise due today and still open is
    neither kept nor overdue yet; one done after `now`'s day was still open (or overdue) then.
    """
    today = timezone.localdate(now)
    since, until = commitment_window(today, cfg)
    out = {}
    for unit_id, r in register_selectors.promise_counts_by_unit(since, until, today=today).items():
        facts = [Fact.of("commitments.kept", on_time=r["on_time"], n=r["due"])]
        facts += [
            Fact.of(f"commitments.{key}", n=r[key])
            for key in ("late", "overdue", "open", "dropped")
            if r[key]
        ]
        out[unit_id] = Component(_bounded(_pct(r["on_time"], r["due"])), facts, dict(r))
    return out


COMPUTE = {
    "perception": perception,
    "delivery": delivery,
    "complaints": complaints,
    "engagement": engagement,
    "commitments": commitments,
}
