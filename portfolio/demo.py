"""Demo demands for `manage.py seed_demo`: deterministic and idempotent.

About 40 demands across units and every state, with business cases, a few rank overrides, and
delivered ones with partial benefits per quarter (some confirmed by the business, the rest IT
estimates). Records are written directly so their history can lie in the past; attestation
requests for past periods are marked sent so seeding never emails anyone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from brm.core.roles import GROUP_NAMES, Role
from portfolio.models.demand import (
    AFTER_DELIVERY,
    BenefitAttestation,
    BenefitKind,
    BenefitRecord,
    Demand,
    DemandSettings,
    DemandStatus,
    DemandStatusChange,
    StrategicObjective,
    Urgency,
)
from portfolio.services.scoring import Weights, score_demand
from stakeholders.models import BusinessUnit, Stakeholder

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SEED = 20261126
S = DemandStatus

OBJECTIVES = [
    ("Grow digital revenue", "Sell more through digital channels."),
    ("Operational efficiency", "Do the same work at lower cost and effort."),
    ("Regulatory compliance", "Meet every regulatory obligation on time."),
    ("Customer experience", "Make it easier to do business with us."),
    ("Reduce operational risk", "Fewer outages, breaches and single points of failure."),
]
IDEAS = [
    ("Self-service expense claims", "Paper claims take three weeks to pay.", "Paid within a week."),
    ("Automated month-end close", "Closing the books takes eight days.", "Close in three days."),
    ("Customer portal for invoices", "Customers phone for invoice copies.", "They download them."),
    ("E-signature for contracts", "Contracts wait days for wet signatures.", "Signed same day."),
    ("Warehouse barcode scanning", "Stock counts are wrong by 4 %.", "Counts right to 0.5 %."),
    ("GDPR data retention tooling", "Nobody knows what to delete when.", "Automatic deletion."),
    ("Sales pipeline dashboard", "Forecasts are built in spreadsheets.", "Live forecast."),
    ("Mobile timesheets", "Field staff fill paper timesheets.", "Entered on the phone."),
    ("Supplier onboarding workflow", "New suppliers wait a month.", "Onboarded in a week."),
    ("Chatbot for HR questions", "HR answers the same 20 questions.", "Answered instantly."),
    ("Single sign-on for store staff", "Staff juggle seven passwords.", "One login."),
    ("Backup for the pricing engine", "The pricing engine has no failover.", "Failover in 15 min."),
]
# (status, how many) — about 40 in all, every state represented.
MIX = [
    (S.IDEA, 8),
    (S.ASSESSING, 7),
    (S.APPROVED, 5),
    (S.IN_DELIVERY, 6),
    (S.DELIVERED, 6),
    (S.BENEFITS_REALISED, 3),
    (S.REJECTED, 3),
    (S.WITHDRAWN, 2),
]
PATHS = {
    S.IDEA: [],
    S.ASSESSING: [S.ASSESSING],
    S.APPROVED: [S.ASSESSING, S.APPROVED],
    S.IN_DELIVERY: [S.ASSESSING, S.APPROVED, S.IN_DELIVERY],
    S.DELIVERED: [S.ASSESSING, S.APPROVED, S.IN_DELIVERY, S.DELIVERED],
    S.BENEFITS_REALISED: [S.ASSESSING, S.APPROVED, S.IN_DELIVERY, S.DELIVERED, S.BENEFITS_REALISED],
    S.REJECTED: [S.ASSESSING, S.REJECTED],
    S.WITHDRAWN: [S.WITHDRAWN],
}
REASONS = {
    S.REJECTED: "Benefit too small for the cost; revisit when the platform is replaced.",
    S.WITHDRAWN: "The unit solved it with a vendor update.",
}


def seed_demands_demo() -> int:
    """Create the demo demands unless some exist; returns how many were created."""
    if Demand.objects.exists():
        return 0
    units = list(BusinessUnit.objects.filter(active=True).select_related("brm").order_by("code"))
    if not units:
        return 0
    with transaction.atomic():
        return _seed(units)


def _seed(units: list[BusinessUnit]) -> int:
    rng = random.Random(SEED)
    now = timezone.now()
    # Approvals and re-ranking are the portfolio board's: the demo's CIO (IT leadership).
    board = (
        get_user_model()
        .objects.filter(groups__name=GROUP_NAMES[Role.EXECUTIVE], is_active=True)
        .order_by("pk")
        .first()
    )
    weights = Weights.from_settings(DemandSettings.get())
    objectives = [
        StrategicObjective.objects.get_or_create(name=n, defaults={"description": d})[0]
        for n, d in OBJECTIVES
    ]
    statuses = [s for s, n in MIX for _ in range(n)]
    # The unit whose leader logs in gets half the delivered demands, so the demo shows
    # business-confirmed figures next to IT estimates.
    led = {p.unit_id for p in Stakeholder.objects.filter(user__isnull=False, active=True)}
    led_units = [u for u in units if u.pk in led] or units
    created = 0
    for i, status in enumerate(statuses):
        unit = units[i % len(units)]
        if status in AFTER_DELIVERY and i % 2 == 0:
            unit = led_units[i % len(led_units)]
        people = list(Stakeholder.objects.filter(unit=unit, active=True).order_by("pk")[:20])
        leader = next((p for p in people if p.user_id), None)
        sponsor = leader or (rng.choice(people) if people else None)
        title, problem, outcome = IDEAS[i % len(IDEAS)]
        if status in AFTER_DELIVERY:
            filed = now - timedelta(days=rng.randint(450, 800))
        elif status in _LATE:
            filed = now - timedelta(days=rng.randint(120, 400))
        else:
            filed = now - timedelta(days=rng.randint(2, 90))
        demand = Demand(
            unit=unit,
            sponsor=sponsor,
            brm=unit.brm,
            submitted_by=sponsor.user if sponsor and sponsor.user_id else unit.brm,
            title=f"{title} ({unit.code.upper()})",
            problem=problem,
            outcome=outcome,
            urgency=rng.choice(Urgency.values),
            status=status,
            status_reason=REASONS.get(status, ""),
        )
        if status != S.IDEA or rng.random() < 0.3:
            demand.benefit_kind = rng.choice(BenefitKind.values)
            demand.expected_benefit = Decimal(rng.randrange(20, 600) * 1000)
            demand.estimated_cost = Decimal(rng.randrange(30, 500) * 1000)
            demand.alignment = rng.randint(0, 5)
            demand.risk = rng.randint(1, 5)
            demand.effort = rng.randint(1, 5)
            demand.priority_score = score_demand(demand, weights)
        demand.save()
        Demand.objects.filter(pk=demand.pk).update(created_at=filed)
        demand.objectives.set(rng.sample(objectives, rng.choice([0, 1, 1, 1, 2])))
        delivered_at = _walk(demand, status, filed, now, rng, board)
        if delivered_at:
            Demand.objects.filter(pk=demand.pk).update(delivered_at=delivered_at)
            _benefits(demand, delivered_at, now, rng, leader)
        created += 1
    _overrides(units, now, board)
    return created


_LATE = {S.IN_DELIVERY, S.DELIVERED, S.BENEFITS_REALISED}


def _walk(
    demand: Demand,
    status: DemandStatus,
    filed: datetime,
    now: datetime,
    rng: random.Random,
    board: User | None,
) -> datetime | None:
    changes = [
        DemandStatusChange(
            demand=demand,
            to_status=S.IDEA,
            actor=demand.submitted_by,
            reason="Submitted.",
            created_at=filed,
        )
    ]
    at, source, delivered = filed, S.IDEA, None
    steps = PATHS[status]
    span = (now - filed) / (len(steps) + 1) if steps else timedelta(0)
    for to in steps:
        at = at + span * (0.6 + rng.random() * 0.4)
        actor = demand.sponsor.user if to == S.WITHDRAWN and demand.sponsor else demand.brm
        if to == S.APPROVED or (to == S.REJECTED and source == S.APPROVED):
            actor = board  # the portfolio board decides (portfolio.services.workflow)
        changes.append(
            DemandStatusChange(
                demand=demand,
                from_status=source,
                to_status=to,
                actor=actor,
                reason=REASONS.get(to, ""),
                created_at=at,
            )
        )
        if to == S.DELIVERED:
            delivered = at
        source = to
    DemandStatusChange.objects.bulk_create(changes)
    return delivered


def _benefits(
    demand: Demand,
    delivered_at: datetime,
    now: datetime,
    rng: random.Random,
    leader: Stakeholder | None,
) -> None:
    """Quarterly records since delivery: realised 40-110 % of plan; older ones often confirmed."""
    quarterly = (demand.expected_benefit or Decimal(0)) / 4
    start = timezone.localdate(delivered_at)
    rows, n = [], 0
    while start + timedelta(days=90) <= timezone.localdate(now) and n < 6:
        realised = (quarterly * Decimal(rng.randint(40, 110)) / 100).quantize(Decimal("1"))
        confirm = leader is not None and leader.user_id and n < 2 and rng.random() < 0.7
        rows.append(
            BenefitRecord(
                demand=demand,
                period_start=start,
                period_end=start + timedelta(days=89),
                planned_amount=quarterly.quantize(Decimal("1")),
                realised_amount=realised,
                recorded_by=demand.brm,
                confirmed_by=leader.user if confirm and leader is not None else None,
                confirmed_at=delivered_at + timedelta(days=95 + 90 * n) if confirm else None,
                note="From the monthly finance report." if n == 0 else "",
            )
        )
        BenefitAttestation.objects.get_or_create(
            demand=demand,
            due_on=start + timedelta(days=90),
            defaults={"round": n + 1, "sent_at": now, "recipients": "(demo: not sent)"},
        )
        start += timedelta(days=90)
        n += 1
    BenefitRecord.objects.bulk_create(rows)


def _overrides(units: list[BusinessUnit], now: datetime, board: User | None) -> None:
    """Two demands placed by hand by the portfolio board, with the reasons they gave."""
    picks = Demand.objects.filter(status__in=[S.ASSESSING, S.APPROVED]).order_by("priority_score")
    reasons = [
        "Regulator deadline in March: must go first whatever the score.",
        "Prerequisite for the ERP upgrade already approved.",
    ]
    for rank, (demand, reason) in enumerate(zip(picks[:2], reasons, strict=False), start=1):
        Demand.objects.filter(pk=demand.pk).update(
            rank_override=rank, override_reason=reason, override_by=board, override_at=now
        )
