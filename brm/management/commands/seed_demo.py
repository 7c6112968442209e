"""Build a realistic, deterministic demo data set. Safe to run twice: it only fills what is missing.

About 12 business units, 150 stakeholders, 600 interactions and 300 commitments, and one login
per role (password `demo1234`): brm, deputy, leader, cio, admin, integration.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from brm.core import delivery
from brm.core.models import OutboundEmail
from brm.core.roles import GROUP_NAMES, Role
from brm.health.demo import seed_health_demo
from complaints.demo import seed_complaints_demo
from portfolio.demo import seed_demands_demo
from reviews.demo import seed_reviews_demo
from satisfaction.demo import seed_satisfaction_demo
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    BusinessUnit,
    Channel,
    Interaction,
    InteractionKind,
    OwnerSide,
    RoleType,
    Stakeholder,
)

PASSWORD = "demo1234"
SEED = 20261124

UNITS = [
    ("Finance", "fin", "Group finance, accounting and treasury."),
    ("Human Resources", "hr", "People, payroll and recruitment."),
    ("Sales", "sales", "Direct and channel sales."),
    ("Marketing", "mkt", "Brand, campaigns and digital marketing."),
    ("Operations", "ops", "Plants, logistics and fulfilment."),
    ("Customer Service", "cs", "Contact centres and field service."),
    ("Legal & Compliance", "legal", "Contracts, regulation and audit."),
    ("Procurement", "proc", "Suppliers and purchasing."),
    ("Research & Development", "rnd", "Product research and engineering."),
    ("Retail Stores", "retail", "Two hundred stores and their staff."),
    ("Treasury", "treasury", "Cash, funding and FX (part of Finance)."),
    ("Payroll", "payroll", "Monthly payroll run (part of HR)."),
]
PARENTS = {"treasury": "fin", "payroll": "hr"}

FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Isla",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Adams",
    "Brown",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Meyer",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Walsh",
    "Yilmaz",
    "Zhang",
]
TITLES = [
    "Director",
    "Head of",
    "Manager",
    "Lead",
    "Analyst",
    "Controller",
    "Coordinator",
    "VP",
    "Specialist",
    "Team lead",
]
TOPICS = [
    "Month-end close performance",
    "New reporting requirements",
    "Laptop refresh plans",
    "ERP upgrade timeline",
    "Service desk response times",
    "Data quality concerns",
    "Mobile access for field staff",
    "Budget for next year",
    "Outage last Tuesday",
    "Access rights review",
    "Automation ideas",
    "Vendor contract renewal",
    "Training on the new CRM",
    "Security awareness",
    "Quarterly priorities",
]
PROMISES = [
    "Send the outage root-cause report",
    "Share the upgrade plan",
    "Fix the VPN drops for the team",
    "Arrange CRM training",
    "Review licence counts",
    "Propose a reporting dashboard",
    "Confirm the migration date",
    "Provide access review list",
    "Price the mobile option",
    "Nominate testers for the pilot",
    "Send the list of priorities",
    "Approve the budget line",
]


class Command(BaseCommand):
    help = "Create demo users and a deterministic stakeholder register (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Loading demo data sends nothing: every email the demo's services record is marked
        # skipped before the one transaction commits, so neither its queued task nor the outbox
        # sweep (both claim only pending rows) ever sends it.
        with transaction.atomic():
            before = OutboundEmail.objects.aggregate(last=Max("pk"))["last"] or 0
            self.seed()
            silenced = delivery.skip_unsent(
                OutboundEmail.objects.filter(pk__gt=before), "Demo data: never sent."
            )
        if silenced:
            self.stdout.write(f"{silenced} demo email(s) recorded and not sent.")

    def seed(self) -> None:
        with transaction.atomic():
            users = self.users()
            units = self.units(users)
            if Interaction.objects.exists():
                self.stdout.write("Demo data already present; users and units checked.")
            else:
                rng = random.Random(SEED)
                people = self.stakeholders(rng, units, users)
                self.interactions(rng, units, people, users)
                self.stdout.write(self.style.SUCCESS("Demo data created."))
        seed_reviews_demo(self.stdout)  # services, 12 months of metrics, reviews (idempotent)
        self.stdout.write(f"{seed_complaints_demo()} demo complaint(s) added.")  # idempotent
        self.stdout.write(f"{seed_satisfaction_demo()} demo survey response(s) added.")
        self.stdout.write(f"{seed_demands_demo()} demo demand(s) added.")  # idempotent
        # Health reads every app's data, so it comes last: keep this line at the end.
        self.stdout.write(f"Health history computed for {seed_health_demo()} unit(s).")

    def users(self) -> dict[str, User]:
        User = get_user_model()
        spec = [
            ("brm", "Bianca", "Reyes", Role.BRM),
            ("deputy", "Dev", "Okoro", Role.BRM),
            ("brm2", "Marco", "Lindqvist", Role.BRM),
            ("leader", "Laura", "Finch", Role.LEADER),
            ("cio", "Catherine", "Io", Role.EXECUTIVE),
            ("admin", "Ada", "Admin", Role.ADMIN),
            ("integration", "HR", "Sync", Role.INTEGRATION),
        ]
        out = {}
        for username, first, last, role in spec:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@demo.example",
                },
            )
            if created:
                user.set_password(PASSWORD)
                if role == Role.ADMIN:
                    user.is_staff = user.is_superuser = True
                user.save()
            if role != Role.ADMIN:
                user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[role])[0])
            out[username] = user
        return out

    def units(self, users: dict[str, User]) -> list[BusinessUnit]:
        brms = [users["brm"], users["brm2"], users["deputy"]]
        units = []
        for i, (name, code, description) in enumerate(UNITS):
            brm = brms[0] if i < 5 else brms[1] if i < 10 else brms[2]
            deputy = users["deputy"] if brm != users["deputy"] else users["brm"]
            unit, _ = BusinessUnit.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "brm": brm,
                    "deputy": deputy,
                    "review_cadence_days": [30, 60, 90][i % 3],
                },
            )
            units.append(unit)
        by_code = {u.code: u for u in units}
        for child, parent in PARENTS.items():
            BusinessUnit.objects.filter(code=child, parent__isnull=True).update(
                parent=by_code[parent]
            )
        return units

    def stakeholders(
        self, rng: random.Random, units: list[BusinessUnit], users: dict[str, User]
    ) -> dict[int, list[Stakeholder]]:
        people: dict[int, list[Stakeholder]] = {}
        roles = (
            [RoleType.CUSTOMER] * 4
            + [RoleType.USER] * 3
            + [RoleType.SPONSOR, RoleType.SUPPLIER, RoleType.OTHER]
        )
        n = 0
        for unit in units:
            batch = []
            for _ in range(12 if unit.parent_id is None else 10):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                n += 1
                batch.append(
                    Stakeholder(
                        unit=unit,
                        name=f"{first} {last}",
                        job_title=f"{rng.choice(TITLES)} {unit.name}",
                        role_type=rng.choice(roles),
                        influence=rng.choices([1, 2, 3, 4, 5], [1, 2, 3, 3, 2])[0],
                        interest=rng.choices([1, 2, 3, 4, 5], [1, 2, 3, 3, 2])[0],
                        email=f"{first}.{last}.{n}@corp.example".lower(),
                        phone=f"+44 20 7946 {n:04d}",
                        preferred_channel=rng.choice(list(Channel.values)),
                        active=rng.random() > 0.05,
                        external_id=f"HR-{n:05d}",
                    )
                )
            people[unit.pk] = Stakeholder.objects.bulk_create(batch)
        # The demo leader heads Finance: the unit the demo BRM manages.
        finance = units[0]
        leader = people[finance.pk][0]
        leader.user, leader.name, leader.job_title = (
            users["leader"],
            "Laura Finch",
            "Finance Director",
        )
        leader.influence, leader.interest, leader.role_type = 5, 5, RoleType.SPONSOR
        leader.save()
        return people

    def interactions(
        self,
        rng: random.Random,
        units: list[BusinessUnit],
        people: dict[int, list[Stakeholder]],
        users: dict[str, User],
    ) -> None:
        now = timezone.now()
        it_staff = [users["brm"], users["deputy"], users["brm2"]]
        kinds = list(InteractionKind.values)
        through_attendees, through_it, items = [], [], []
        for unit in units:
            # Units managed by brm2 drift negative: something to notice on the dashboard later.
            mood = -0.6 if unit.brm_id == users["brm2"].pk else 0.4
            for _ in range(50):
                days_ago = rng.randint(0, 400)
                when = timezone.make_aware(
                    datetime.combine(
                        (now - timedelta(days=days_ago)).date(),
                        time(rng.randint(8, 17), rng.choice([0, 30])),
                    )
                )
                sentiment = max(-2, min(2, round(rng.gauss(mood, 1.0))))
                interaction = Interaction.objects.create(
                    unit=unit,
                    kind=rng.choice(kinds),
                    occurred_at=min(when, now),
                    summary=rng.choice(TOPICS),
                    notes=rng.choice(
                        [
                            "",
                            "",
                            "Sponsor is frustrated about delivery dates.",
                            "Good rapport; ask about budget next time.",
                        ]
                    ),
                    sentiment=sentiment,
                    logged_by=unit.brm,
                )
                for person in rng.sample(people[unit.pk], k=rng.randint(1, 3)):
                    through_attendees.append(
                        Interaction.attendees.through(
                            interaction_id=interaction.pk, stakeholder_id=person.pk
                        )
                    )
                through_it.append(
                    Interaction.it_participants.through(
                        interaction_id=interaction.pk, user_id=unit.brm_id
                    )
                )
                if rng.random() < 0.5:
                    items.append(
                        self.promise(rng, unit, interaction, people[unit.pk], it_staff, now)
                    )
        Interaction.attendees.through.objects.bulk_create(through_attendees)
        Interaction.it_participants.through.objects.bulk_create(through_it)
        ActionItem.objects.bulk_create(items)

    def promise(
        self,
        rng: random.Random,
        unit: BusinessUnit,
        interaction: Interaction,
        people: list[Stakeholder],
        it_staff: list[User],
        now: datetime,
    ) -> ActionItem:
        side = OwnerSide.IT if rng.random() < 0.7 else OwnerSide.BUSINESS
        due = (interaction.occurred_at + timedelta(days=rng.randint(7, 45))).date()
        status, completed = ActionStatus.OPEN, None
        if due < now.date() or rng.random() < 0.2:
            roll = rng.random()
            if roll < 0.6:
                status = ActionStatus.DONE
                completed = timezone.make_aware(
                    datetime.combine(due + timedelta(days=rng.randint(-10, 12)), time(12))
                )
                completed = min(completed, now - timedelta(hours=rng.randint(2, 200)))
            elif roll < 0.7:
                status = ActionStatus.DROPPED
        return ActionItem(
            unit=unit,
            interaction=interaction,
            title=rng.choice(PROMISES),
            owner_side=side,
            owner=rng.choice(it_staff) if side == OwnerSide.IT else None,
            owner_stakeholder=rng.choice(people) if side == OwnerSide.BUSINESS else None,
            due_date=due,
            status=status,
            completed_at=completed,
            created_by=unit.brm,
        )
