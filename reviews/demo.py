"""Demo data for the service portfolio and service reviews (called by `manage.py seed_demo`).

Deterministic and safe to run twice: services are found by name, metrics are upserted by
period, and a unit that already has reviews is left alone. Some units consume only services
that met every SLA ("all green"), so the watermelon signal has something to contrast with.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import timezone

from portfolio.models import Lifecycle, Service
from portfolio.services.catalogue import MetricInput, upsert_metrics
from reviews import services as review_services
from reviews.models import ServiceReview
from stakeholders.models import BusinessUnit, OwnerSide, Stakeholder

# name, target %, workload limit, consumer unit codes, months missed (0 = last month), over-limit
SERVICES: list[tuple[str, str, int | None, list[str], set[int], set[int]]] = [
    (
        "Email and calendar",
        "99.5",
        None,
        ["fin", "hr", "sales", "legal", "proc", "ops"],
        set(),
        set(),
    ),
    (
        "Service desk",
        "99.0",
        4000,
        ["fin", "hr", "sales", "legal", "proc", "cs", "retail"],
        set(),
        set(),
    ),
    ("Payroll system", "99.9", None, ["hr", "payroll"], set(), set()),
    ("ERP (finance and purchasing)", "99.7", 20000, ["fin", "treasury", "ops"], {2, 7}, {2}),
    ("CRM", "99.5", 15000, ["sales", "mkt", "cs"], {4}, set()),
    ("Store point of sale", "99.8", 60000, ["retail", "ops"], {0, 1, 5}, {0, 1}),
    ("Data warehouse", "98.0", None, ["fin", "mkt", "rnd"], {9}, set()),
    ("Lab systems", "99.0", None, ["rnd"], set(), set()),
]
EXTRA = [
    ("AI writing assistant", Lifecycle.PIPELINE, ["mkt", "legal"]),
    ("Legacy fax gateway", Lifecycle.RETIRED, ["legal"]),
]
MONTHS = 12


def _month_start(d: date, back: int) -> date:
    year, month = d.year, d.month - back
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1)


def _month_end(start: date) -> date:
    return _month_start(start, -1) - timedelta(days=1)


def _figures(
    seed: int, missed: bool, over: bool, target: Decimal, limit: int | None
) -> dict[str, Any]:
    # A small deterministic wobble so charts are not flat lines.
    wobble = Decimal((seed * 37) % 9) / Decimal(100)
    if missed:
        availability = target - Decimal("0.6") - wobble
    else:
        availability = min(Decimal("100"), target + Decimal("0.05") + wobble)
    incidents = 1 + (seed * 7) % 5 + (6 if missed else 0)
    workload = None
    if limit:
        workload = int(limit * (1.08 if over else 0.7 + ((seed * 13) % 20) / 100))
    return {
        "availability": availability.quantize(Decimal("0.001")),
        "incidents": incidents,
        "major_incidents": 1 if missed else 0,
        "response_time_minutes": 12 + (seed * 5) % 15,
        "workload": workload,
    }


def seed_portfolio(users: dict[str, Any], units: dict[str, BusinessUnit]) -> list[Service]:
    owner = users.get("brm2")
    today = timezone.localdate()
    out = []
    rows: list[MetricInput] = []
    for i, (name, target, limit, codes, missed, over) in enumerate(SERVICES):
        service, _ = Service.objects.get_or_create(
            name=name,
            defaults={
                "description": f"{name}, run by central IT.",
                "owner": owner,
                "availability_target": Decimal(target),
                "workload_limit": limit,
                "response_time_target_minutes": 30,
            },
        )
        service.consumers.add(*[units[c] for c in codes if c in units])
        out.append(service)
        for back in range(1, MONTHS + 1):
            start = _month_start(today, back)
            figures = _figures(
                i * 31 + back, back - 1 in missed, back - 1 in over, Decimal(target), limit
            )
            rows.append(MetricInput(service, start, _month_end(start), figures))
    upsert_metrics(rows, actor=None)  # demo data: the system writes
    for name, lifecycle, codes in EXTRA:
        service, _ = Service.objects.get_or_create(
            name=name, defaults={"lifecycle": lifecycle, "owner": owner}
        )
        service.consumers.add(*[units[c] for c in codes if c in units])
    return out


def seed_reviews(users: dict[str, Any], units: dict[str, BusinessUnit]) -> int:
    """A held review per unit (minutes, a change, promises both ways) and the next one planned.

    Two units have a planned review that slipped past its date (overdue), one has none yet.
    """
    created = 0
    for i, unit in enumerate(sorted(units.values(), key=lambda u: u.code)):
        if unit.code == "rnd" or ServiceReview.objects.filter(unit=unit).exists():
            continue  # R&D: due, never planned, so the schedule shows "overdue, not planned"
        actor = unit.brm
        people = list(Stakeholder.objects.filter(unit=unit, active=True).order_by("-influence")[:3])
        days_ago = 20 + (i * 11) % (unit.review_cadence_days - 10)
        when = timezone.make_aware(
            datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(10, 0))
        )
        review = review_services.plan_review(
            unit,
            actor=actor,
            scheduled_at=when,
            attendees=people,
            allow_past=True,
            agenda="Service performance since the last review\nChanges needed\nWhat is coming",
        )
        if unit.code in {"cs", "mkt"}:
            continue  # slipped: planned, past its date and not held -> overdue
        review_services.add_commitment(
            review,
            review_services.CommitmentSpec(
                f"Send {unit.name} the incident report for last quarter",
                timezone.localdate(when) + timedelta(days=14),
            ),
            actor=actor,
        )
        if people:
            review_services.add_commitment(
                review,
                review_services.CommitmentSpec(
                    "Confirm next year's volumes",
                    timezone.localdate(when) + timedelta(days=30),
                    owner_side=OwnerSide.BUSINESS,
                    owner_stakeholder=people[0],
                ),
                actor=actor,
            )
        review_services.raise_change_request(
            review,
            actor=actor,
            kind="scope" if i % 2 else "contract",
            title="Extend service desk hours to 20:00" if i % 2 else "Add a penalty clause",
        )
        held, _ = review_services.hold_review(
            review,
            actor=actor,
            minutes=f"Reviewed the services {unit.name} uses. Figures discussed; no surprises.",
            outcome="Relationship on track.",
        )
        ServiceReview.objects.filter(pk=held.pk).update(held_at=when + timedelta(hours=1))
        created += 1
    return created


@transaction.atomic
def seed_reviews_demo(stdout: OutputWrapper | None = None) -> None:
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["brm", "brm2"])}
    units = {u.code: u for u in BusinessUnit.objects.filter(active=True)}
    seed_portfolio(users, units)
    count = seed_reviews(users, units)
    if stdout is not None:
        stdout.write(f"Service portfolio checked; {count} held review(s) added.")
