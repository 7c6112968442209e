"""Synthetic data for `manage.py bench_health`: N business units with everything health reads.

Project wiring (it writes rows in every app), so it imports every app's models.

Generated with `bulk_create` only (no per-row saves, no history rows, no signals) from a seeded
RNG, so a size always produces the same dataset and 2,000 units take seconds, not minutes.
Per unit: 8 stakeholders, 20 interactions with attendees, 6 commitments, 2 consumed services
(shared, with 6 monthly metrics each), 2 complaints, 1 service review and 5 survey responses
with a CSAT and an NPS answer; `Volumes` raises the meetings, complaints and metric months (the
pages' bench uses 50, 10 and 24, issue 14's bench size).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, DateTimeField, F, Value, When

from brm.core.roles import GROUP_NAMES, Role
from complaints.models import Complaint
from portfolio.models import Service, ServiceMetric
from reviews.models import ServiceReview
from satisfaction.models import Answer, Campaign, Question, Response, SurveyTemplate
from stakeholders.models import ActionItem, BusinessUnit, Interaction, Stakeholder

STAKEHOLDERS = 8
INTERACTIONS = 20
ACTIONS = 6
SERVICES_PER_UNIT = 2
UNITS_PER_SERVICE = 8
METRIC_MONTHS = 6
COMPLAINTS = 2
RESPONSES = 5
UNITS_PER_BRM = 25
SEVERITY_HOURS = {"low": (24, 240), "medium": (8, 120), "high": (4, 48), "critical": (1, 8)}


@dataclass(frozen=True)
class Volumes:
    """Rows per unit that grow with history, and how far back they go (days, months).

    The defaults are the health bench's (`bench_health`: 20 meetings over 200 days, 2 complaints
    over 150 days and 6 months of metrics per unit); `BENCH_SIZE_VOLUMES` is issue 14's bench
    size for the pages: at 2,000 units, 100,000 meetings, 20,000 complaints and 24 months.
    """

    interactions: int = INTERACTIONS
    interaction_days: float = 200
    complaints: int = COMPLAINTS
    complaint_days: float = 150
    metric_months: int = METRIC_MONTHS


BENCH_SIZE_VOLUMES = Volumes(
    interactions=50, interaction_days=730, complaints=10, complaint_days=700, metric_months=24
)


@dataclass
class BenchData:
    """What one size created: the people the measurements act as and the row counts."""

    executive: User
    integration: User
    units: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# Tables that describe the schema, not data: kept when a bench empties the database.
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}


def check_database(wipe: bool) -> None:
    """What every bench command checks before it touches the database (CommandError if not):

    - it is migrated: a bench on missing tables failed deep inside with a TRUNCATE syntax error
      (`make bench` migrates first; a direct `manage.py bench_web` does not);
    - with `wipe`, it is a PostgreSQL database named *bench*: the bench commands TRUNCATE every
      data table unless run with --no-wipe."""
    name = connection.settings_dict["NAME"]
    if wipe and (connection.vendor != "postgresql" or "bench" not in str(name)):
        raise CommandError(
            f"Refusing to wipe database {name!r}: use a PostgreSQL database named *bench* "
            "(make bench uses brm_bench) or pass --no-wipe."
        )
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"Database {name!r} has {len(pending)} migration(s) not applied: run "
            "`manage.py migrate` first (make bench does)."
        )


def wipe_data() -> None:
    """TRUNCATE every data table (KEEP_TABLES and beat's schedule stay), identities restarted."""
    tables = [
        t
        for t in connection.introspection.django_table_names(only_existing=True)
        if t not in KEEP_TABLES and not t.startswith("django_celery_beat")
    ]
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def _users(tag: str, n_units: int) -> tuple[list[User], User, User]:
    User = get_user_model()
    brms = [
        User(username=f"bench{tag}-brm{i}", first_name="Bench", last_name=f"BRM {i}", password="!")
        for i in range(max(2, n_units // UNITS_PER_BRM))
    ]
    executive = User(username=f"bench{tag}-cio", first_name="Bench", last_name="CIO", password="!")
    integration = User(username=f"bench{tag}-api", password="!")
    User.objects.bulk_create([*brms, executive, integration])
    groups = {role: Group.objects.get_or_create(name=GROUP_NAMES[role])[0] for role in GROUP_NAMES}
    Through = User.groups.through
    Through.objects.bulk_create(
        [Through(user_id=u.pk, group_id=groups[Role.BRM].pk) for u in brms]
        + [
            Through(user_id=executive.pk, group_id=groups[Role.EXECUTIVE].pk),
            Through(user_id=integration.pk, group_id=groups[Role.INTEGRATION].pk),
        ]
    )
    return brms, executive, integration


def generate(
    n_units: int,
    *,
    now: datetime,
    seed: int = 20240501,
    tag: str = "",
    volumes: Volumes = Volumes(),  # noqa: B008 - frozen, so one shared default is safe
) -> BenchData:
    """Create the dataset for `n_units` units (`volumes`: meetings, complaints and metric months
    per unit); `tag` keeps names unique if sizes share a DB."""
    rng = random.Random(seed + n_units)
    tag = tag or str(n_units)
    rows: dict[str, int] = {}
    brms, executive, integration = _users(tag, n_units)
    rows["users"] = len(brms) + 2

    units = BusinessUnit.objects.bulk_create(
        [
            BusinessUnit(
                name=f"Bench {tag} unit {i:05d}",
                code=f"b{tag}-{i:05d}",
                brm=brms[i % len(brms)],
                review_cadence_days=rng.choice([30, 60, 90, 90, 180]),
            )
            for i in range(n_units)
        ]
    )
    rows["units"] = len(units)

    people = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                unit=unit,
                name=f"Person {unit.pk}-{k}",
                influence=rng.randint(1, 5),
                interest=rng.randint(1, 5),
            )
            for unit in units
            for k in range(STAKEHOLDERS)
        ]
    )
    rows["stakeholders"] = len(people)
    by_unit: dict[int, list[Stakeholder]] = {}
    for p in people:
        by_unit.setdefault(p.unit_id, []).append(p)

    kinds = ["formal_meeting", "informal", "call", "workshop", "email"]
    meetings = Interaction.objects.bulk_create(
        [
            Interaction(
                unit=unit,
                kind=rng.choice(kinds),
                occurred_at=now - timedelta(days=rng.uniform(0, volumes.interaction_days)),
                summary="Bench contact",
                sentiment=rng.choices([-2, -1, 0, 1, 2], weights=[1, 2, 4, 4, 2])[0],
            )
            for unit in units
            for _ in range(volumes.interactions)
        ],
        batch_size=5000,
    )
    rows["interactions"] = len(meetings)
    Attendee = Interaction.attendees.through
    attendees = Attendee.objects.bulk_create(
        [
            Attendee(interaction_id=m.pk, stakeholder_id=p.pk)
            for m in meetings
            for p in rng.sample(by_unit[m.unit_id], rng.randint(1, 3))
        ],
        batch_size=10000,
    )
    rows["attendees"] = len(attendees)

    today = now.date()
    actions = []
    for unit in units:
        for _ in range(ACTIONS):
            due = today + timedelta(days=rng.randint(-120, 30))
            status = rng.choices(["open", "done", "dropped"], weights=[2, 8, 1])[0]
            completed = None
            if status == "done":
                completed = datetime.combine(due, now.timetz()) + timedelta(days=rng.randint(-7, 2))
            actions.append(
                ActionItem(
                    unit=unit,
                    title="Bench promise",
                    owner_side=rng.choice(["it", "it", "business"]),
                    owner=unit.brm,
                    due_date=due,
                    status=status,
                    completed_at=completed,
                )
            )
    rows["action_items"] = len(ActionItem.objects.bulk_create(actions, batch_size=5000))

    n_services = max(SERVICES_PER_UNIT, n_units * SERVICES_PER_UNIT // UNITS_PER_SERVICE)
    services = Service.objects.bulk_create(
        [
            Service(name=f"Bench {tag} service {i:05d}", availability_target=Decimal("99.5"))
            for i in range(n_services)
        ]
    )
    rows["services"] = len(services)
    Consumer = Service.consumers.through
    links = []
    for i, unit in enumerate(units):
        picked = {services[(i * SERVICES_PER_UNIT + k) % n_services].pk for k in range(2)}
        links += [Consumer(service_id=s, businessunit_id=unit.pk) for s in picked]
    rows["service_consumers"] = len(Consumer.objects.bulk_create(links, batch_size=10000))
    metrics = []
    first = today.replace(day=1)
    for service in services:
        start = first
        for _ in range(volumes.metric_months):
            end = start - timedelta(days=1)
            start = end.replace(day=1)
            # Most months meet the 99.5 % target, as in a healthy estate.
            low, high = (99.5, 100.0) if rng.random() < 0.85 else (98.0, 99.49)
            availability = Decimal(str(round(rng.uniform(low, high), 3)))
            metrics.append(
                ServiceMetric(
                    service=service,
                    period_start=start,
                    period_end=end,
                    availability=availability,
                    incidents=rng.randint(0, 12),
                    sla_met=availability >= service.availability_target,
                )
            )
    rows["service_metrics"] = len(ServiceMetric.objects.bulk_create(metrics, batch_size=5000))

    complaints = []
    for unit in units:
        for _ in range(volumes.complaints):
            severity = rng.choice(list(SEVERITY_HOURS))
            filed = now - timedelta(days=rng.uniform(0, volumes.complaint_days))
            ack_h, resolve_h = SEVERITY_HOURS[severity]
            status = rng.choices(
                ["received", "acknowledged", "investigating", "closed"], weights=[1, 1, 2, 6]
            )[0]
            closed = filed + timedelta(hours=resolve_h) if status == "closed" else None
            rated = closed is not None and rng.random() < 0.6
            complaints.append(
                Complaint(
                    unit=unit,
                    title="Bench complaint",
                    description="Generated for the benchmark.",
                    severity=severity,
                    status=status,
                    acknowledge_by=filed + timedelta(hours=ack_h),
                    resolve_by=filed + timedelta(hours=resolve_h),
                    acknowledged_at=None if status == "received" else filed,
                    resolved_at=closed,
                    closed_at=closed,
                    resolution_rating=rng.randint(1, 5) if rated else None,
                    rated_at=closed if rated else None,
                    escalation_level=rng.choice([0, 0, 0, 1, 2]) if status != "closed" else 0,
                )
            )
    complaints = Complaint.objects.bulk_create(complaints, batch_size=5000)
    # created_at is auto_now_add; age the complaints as filed (one UPDATE per size).
    Complaint.objects.filter(pk__in=[c.pk for c in complaints]).update(
        created_at=_filed_expression()
    )
    rows["complaints"] = len(complaints)

    reviews = []
    for unit in units:
        held = now - timedelta(days=rng.uniform(5, 200))
        reviews.append(
            ServiceReview(
                unit=unit,
                scheduled_at=held,
                status="held",
                held_at=held,
                period_start=(held - timedelta(days=90)).date(),
                period_end=held.date(),
            )
        )
    rows["reviews"] = len(ServiceReview.objects.bulk_create(reviews, batch_size=5000))

    template = SurveyTemplate.objects.create(name=f"Bench {tag} survey")
    csat = Question.objects.create(template=template, kind="csat", text="Satisfied?", position=1)
    nps = Question.objects.create(template=template, kind="nps", text="Recommend?", position=2)
    campaign = Campaign.objects.create(
        template=template, name=f"Bench {tag} campaign", status="closed", closed_at=now
    )
    CampaignUnit = Campaign.units.through
    CampaignUnit.objects.bulk_create(
        [CampaignUnit(campaign_id=campaign.pk, businessunit_id=u.pk) for u in units],
        batch_size=10000,
    )
    responses = Response.objects.bulk_create(
        [
            Response(
                campaign=campaign,
                unit=unit,
                submitted_at=now - timedelta(days=rng.uniform(0, 170)),
            )
            for unit in units
            for _ in range(RESPONSES)
        ],
        batch_size=5000,
    )
    rows["survey_responses"] = len(responses)
    answers = []
    for r in responses:
        csat_score = rng.choices(range(1, 6), weights=[1, 2, 4, 8, 5])[0]
        nps_score = rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 3, 5, 8, 6, 4])[0]
        answers.append(Answer(response=r, question=csat, score=csat_score))
        answers.append(Answer(response=r, question=nps, score=nps_score))
    rows["survey_answers"] = len(Answer.objects.bulk_create(answers, batch_size=10000))
    rows["survey_setup"] = 4 + len(units)
    return BenchData(executive=executive, integration=integration, units=n_units, rows=rows)


def _filed_expression() -> Case:
    """created_at = when the complaint was filed, recovered from its resolve-by deadline.

    The deadline was set from the filing time plus the severity's target, so one UPDATE with a
    CASE restores every filing time instead of an UPDATE per complaint.
    """
    return Case(
        *(
            When(severity=sev, then=F("resolve_by") - Value(timedelta(hours=hours[1])))
            for sev, hours in SEVERITY_HOURS.items()
        ),
        default=F("resolve_by"),
        output_field=DateTimeField(),
    )
