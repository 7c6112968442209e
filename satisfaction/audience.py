"""Who a campaign asks: the audience, survey fatigue and a stratified random sample.

The same function serves the builder's preview (before sending) and the dispatch (which records
the skips), so what the BRM previews is what happens, given the same moment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from satisfaction.models import Campaign, Invitation, SatisfactionSettings, SkipReason
from stakeholders.models import Stakeholder


@dataclass
class Skipped:
    stakeholder: Stakeholder
    reason: str
    detail: str

    @property
    def reason_label(self) -> str:
        return str(SkipReason(self.reason).label)


@dataclass
class AudiencePlan:
    selected: list[Stakeholder] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    eligible: int = 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.skipped:
            out[s.reason] = out.get(s.reason, 0) + 1
        return out


def candidates(campaign: Campaign) -> list[Stakeholder]:
    """Active stakeholders the campaign is aimed at, before fatigue and sampling."""
    if campaign.pk and campaign.kind == "pulse":
        qs = campaign.recipients.filter(active=True)
    else:
        qs = Stakeholder.objects.filter(active=True, unit__in=campaign.units.all())
        if campaign.role_types:
            qs = qs.filter(role_type__in=campaign.role_types)
    return list(qs.select_related("unit").order_by("unit_id", "role_type", "pk"))


def allocate(strata: dict[tuple[Any, ...], int], size: int) -> dict[tuple[Any, ...], int]:
    """Proportional allocation by the largest-remainder method (Hamilton).

    Each stratum gets floor(size * N_s / N); the seats left go to the largest remainders, ties
    broken by stratum key, so the result is deterministic. Never more than a stratum holds.
    """
    total = sum(strata.values())
    if size >= total:
        return dict(strata)
    quotas = {k: size * n / total for k, n in strata.items()}
    seats = {k: int(q) for k, q in quotas.items()}
    left = size - sum(seats.values())
    for key in sorted(quotas, key=lambda k: (-(quotas[k] - seats[k]), k))[:left]:
        seats[key] += 1
    return seats


def plan_audience(
    campaign: Campaign,
    *,
    now: datetime | None = None,
    conf: SatisfactionSettings | None = None,
    seed: int | None = None,
) -> AudiencePlan:
    """Everyone asked and everyone skipped (with the reason), for preview and for dispatch.

    Fatigue counts invitations of every campaign and pulse; the sample is stratified by
    (unit, role type) with proportional allocation and a RNG seeded by the campaign, so the same
    campaign always draws the same people.
    """
    now = now or timezone.now()
    conf = conf or SatisfactionSettings.get()
    people = candidates(campaign)
    plan = AudiencePlan()
    cutoff = now - timedelta(days=conf.fatigue_days)
    recent = dict(
        Invitation.objects.filter(stakeholder__in=[p.pk for p in people], created_at__gte=cutoff)
        .exclude(campaign_id=campaign.pk)
        .values("stakeholder_id")
        .annotate(last=Max("created_at"))
        .values_list("stakeholder_id", "last")
    )
    eligible: list[Stakeholder] = []
    for person in people:
        if not person.email:
            plan.skipped.append(Skipped(person, SkipReason.NO_EMAIL, "No email address on record"))
        elif person.pk in recent:
            last = timezone.localdate(recent[person.pk])
            plan.skipped.append(
                Skipped(
                    person,
                    SkipReason.FATIGUE,
                    f"Invited on {last:%d %b %Y}, within the {conf.fatigue_days}-day limit",
                )
            )
        else:
            eligible.append(person)
    plan.eligible = len(eligible)
    size = campaign.sample_size
    if not size or size >= len(eligible):
        plan.selected = eligible
        return plan
    strata: dict[tuple[Any, ...], list[Stakeholder]] = {}
    for person in eligible:
        strata.setdefault((person.unit_id, person.role_type), []).append(person)
    seats = allocate({k: len(v) for k, v in strata.items()}, size)
    rng = random.Random(seed if seed is not None else campaign.pk or 0)
    chosen: set[int] = set()
    for key in sorted(strata):
        for person in rng.sample(strata[key], seats[key]):
            chosen.add(person.pk)
    for person in eligible:
        if person.pk in chosen:
            plan.selected.append(person)
        else:
            plan.skipped.append(
                Skipped(
                    person,
                    SkipReason.NOT_SAMPLED,
                    f"Random sample of {size} from {len(eligible)}, balanced by unit and role",
                )
            )
    return plan
