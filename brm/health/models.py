"""Relationship health: tunable settings, stored snapshots, improvement plans, maturity ratings."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.lookups import In
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from brm.core.models import (
    SingletonSettings,
    TimeStampedModel,
    UnitScopedModel,
    UnitScopedQuerySet,
)
from brm.health.facts import plan_reason_text
from stakeholders.models import BusinessUnit

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]

COMPONENTS = ("perception", "delivery", "complaints", "engagement", "commitments")
COMPONENT_LABELS = {
    "perception": "How the business feels",
    "delivery": "Service delivery (SLAs)",
    "complaints": "Complaints",
    "engagement": "Engagement",
    "commitments": "Promises kept",
}


class HealthSettings(SingletonSettings):
    """Weights and thresholds of the health score; one row, edited by administrators.

    Defaults come from DOMAIN.md; `get()` creates the row on first use so a fresh install works.
    """

    weight_perception = models.PositiveSmallIntegerField(default=30, validators=PERCENT)
    weight_delivery = models.PositiveSmallIntegerField(default=20, validators=PERCENT)
    weight_complaints = models.PositiveSmallIntegerField(default=20, validators=PERCENT)
    weight_engagement = models.PositiveSmallIntegerField(default=15, validators=PERCENT)
    weight_commitments = models.PositiveSmallIntegerField(default=15, validators=PERCENT)
    green_from = models.PositiveSmallIntegerField(default=70, validators=PERCENT)
    amber_from = models.PositiveSmallIntegerField(default=50, validators=PERCENT)
    watermelon_delivery_from = models.PositiveSmallIntegerField(
        default=80, validators=PERCENT, help_text=_("Delivery at or above this counts as green.")
    )
    watermelon_perception_below = models.PositiveSmallIntegerField(
        default=50, validators=PERCENT, help_text=_("Perception below this counts as red.")
    )
    watermelon_perception_drop = models.PositiveSmallIntegerField(
        default=15,
        validators=PERCENT,
        help_text=_(
            "A fall of more than this many points (of 100) against the previous window, of the "
            "blended perception or of any one signal (survey satisfaction, meeting sentiment, "
            "complaint-resolution ratings)."
        ),
    )
    watermelon_min_answers = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A fall counts only when each window rests on at least this many answers "
            "(survey responses, contacts or ratings)."
        ),
    )
    window_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(14), MaxValueValidator(730)],
        help_text=_("How far back surveys, SLA periods, sentiment and commitments count."),
    )
    # Expected contact frequency per quadrant of the power/interest map, in days.
    contact_days_manage = models.PositiveSmallIntegerField(default=30)
    contact_days_satisfy = models.PositiveSmallIntegerField(default=60)
    contact_days_inform = models.PositiveSmallIntegerField(default=60)
    contact_days_monitor = models.PositiveSmallIntegerField(default=120)

    class Meta:
        verbose_name = _("health settings")
        verbose_name_plural = _("health settings")
        db_table = "brm_healthsettings"  # the table kept its name when health became an app

    def __str__(self) -> str:
        return "Relationship health settings"

    def weights(self) -> dict[str, int]:
        return {name: getattr(self, f"weight_{name}") for name in COMPONENTS}

    def band(self, score: float | None) -> str:
        if score is None:
            return "none"
        if score >= self.green_from:
            return "green"
        return "amber" if score >= self.amber_from else "red"

    def contact_days(self, quadrant: str) -> int:
        return int(getattr(self, f"contact_days_{quadrant}"))


class Band(models.TextChoices):
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
    NONE = "none", _("No data")


class _InArray(In):
    """`pk IN (subquery)`, written `pk = ANY(ARRAY(subquery))` on PostgreSQL, so the array is
    computed once. As IN, PostgreSQL hashed the subquery's rows and evaluated each unit's lookup
    three times (6,036 lookups for 2,012 units). Dashboard band query, median execution of 15:
    0.21-0.27 ms against 2.3-2.8 for the per-snapshot comparison on the demo data (27 snapshots
    a unit), 12-22 against 10-17 ms at 2,012 units with one snapshot each, where there is no
    history to skip. Elsewhere (SQLite) the plain IN."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)  # "(SELECT ...)"
        return f"{lhs_sql} = ANY(ARRAY{rhs_sql})", (*lhs_params, *rhs_params)


class HealthSnapshotQuerySet(UnitScopedQuerySet["HealthSnapshot"]):
    def latest_per_unit(self, on_or_before: date | None = None) -> HealthSnapshotQuerySet:
        """The newest snapshot of each unit, optionally as it stood on a past date (a queryset
        of `HealthSnapshot`, at most one per unit; a unit with none has none).

        A correlated subquery rather than DISTINCT ON, so it runs on PostgreSQL and SQLite alike.
        It is asked once per unit, not once per snapshot: compared with each snapshot's own
        unit, PostgreSQL ran it for every stored snapshot (324 lookups for 12 units on the demo
        data, a year of weekly history for each of 2,000 units at scale). Ordered by unit as well
        as day, so each lookup reads the (unit, as_of) unique index backwards from the unit's
        newest day, where ordered by day alone the planner walked the as_of index through other
        units' rows.
        """
        newest = HealthSnapshot.objects.filter(unit=models.OuterRef("pk"))
        if on_or_before is not None:
            newest = newest.filter(as_of__lte=on_or_before)
        units = BusinessUnit.objects.all()
        if self.query.has_filters():
            # Filtered first (a reader's own unit, the engine's chunk): only those units are
            # looked up, not every unit's newest.
            units = units.filter(pk__in=self.values("unit_id"))
        of_each_unit = (
            units.annotate(
                newest=models.Subquery(newest.order_by("-unit_id", "-as_of").values("pk")[:1])
            )
            .filter(newest__isnull=False)
            .order_by()
            .values("newest")
        )
        return self.filter(_InArray(models.F("pk"), of_each_unit))


class HealthSnapshot(UnitScopedModel):
    """A unit's relationship health on one day, with each component and the facts behind it.

    One row per unit and day: recomputing the same day replaces it, so the job is idempotent and
    the history keeps one point a day for trends.
    """

    unit = models.ForeignKey(
        "stakeholders.BusinessUnit", on_delete=models.CASCADE, related_name="health_snapshots"
    )
    as_of = models.DateField(db_index=True)
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=5, choices=Band, default=Band.NONE)
    perception = models.FloatField(null=True, blank=True)
    delivery = models.FloatField(null=True, blank=True)
    complaints = models.FloatField(null=True, blank=True)
    engagement = models.FloatField(null=True, blank=True)
    commitments = models.FloatField(null=True, blank=True)
    trend = models.FloatField(
        null=True, blank=True, help_text=_("Score change against 30 days earlier.")
    )
    perception_change = models.FloatField(
        null=True, blank=True, help_text=_("Perception change against the previous window.")
    )
    watermelon = models.BooleanField(default=False, db_index=True)
    watermelon_reason = models.TextField(
        blank=True, help_text=_("Why the unit is a watermelon (which signal is low or fell).")
    )
    components = models.JSONField(default=list)

    objects = HealthSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health snapshots")
        db_table = "brm_healthsnapshot"
        ordering = ["-as_of", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "as_of"], name="health_one_snapshot_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.as_of}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("health:unit_health", args=[self.unit_id])


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ABANDONED = "abandoned", _("Abandoned")


class ImprovementPlan(UnitScopedModel):
    """What IT will do, by when and who owns it, to bring a red relationship back.

    Proposed from the weakest components when a unit enters red; its actions are commitments
    (`stakeholders.ActionItem`, linked through `PlanCommitment`) so they count as promises like
    any other.
    """

    unit = models.ForeignKey(
        "stakeholders.BusinessUnit", on_delete=models.CASCADE, related_name="improvement_plans"
    )
    status = models.CharField(max_length=10, choices=PlanStatus, default=PlanStatus.ACTIVE)
    reason = models.TextField(max_length=2000)
    # A proposed plan's reason as a message id and parameters (brm.health.plans.REASON_MESSAGES),
    # rendered in the reader's language by `reason_text`; `reason` keeps the English sentence,
    # the fallback for plans stored before these fields and for a reason typed by a person
    # (`reason_msg` empty).
    reason_msg = models.CharField(max_length=40, blank=True, default="")
    reason_params = models.JSONField(default=dict, blank=True)
    score_at_start = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    actions = models.ManyToManyField(
        "stakeholders.ActionItem", through="PlanCommitment", related_name="+", blank=True
    )

    objects = UnitScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        db_table = "brm_improvementplan"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status="active"), name="one_active_plan_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"Improvement plan for {self.unit} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("health:unit_health", args=[self.unit_id]) + "#plan"

    @property
    def reason_text(self) -> str:
        """Why the plan exists, in the active language (`brm.health.facts.plan_reason_text`)."""
        return plan_reason_text(self.reason_msg, self.reason_params, self.reason)


class PlanCommitment(models.Model):
    """A commitment (`stakeholders.ActionItem`) that is an action of an improvement plan."""

    plan = models.ForeignKey(
        ImprovementPlan, on_delete=models.CASCADE, related_name="commitment_links"
    )
    commitment = models.OneToOneField(
        "stakeholders.ActionItem", on_delete=models.CASCADE, related_name="plan_link"
    )

    class Meta:
        verbose_name = _("improvement-plan action")
        verbose_name_plural = _("improvement-plan actions")

    def __str__(self) -> str:
        return f"{self.commitment_id} in plan {self.plan_id}"


class MaturityLevel(models.IntegerChoices):
    AD_HOC = 1, _("Ad hoc")
    ORDER_TAKER = 2, _("Order taker")
    SERVICE_PROVIDER = 3, _("Service provider")
    TRUSTED_ADVISOR = 4, _("Trusted advisor")
    STRATEGIC_PARTNER = 5, _("Strategic partner")


class Side(models.TextChoices):
    IT = "it", _("IT (the BRM)")
    BUSINESS = "business", _("Business (the unit's leader)")


class MaturityAssessment(UnitScopedModel):
    """One side's view of the relationship on the business relationship maturity model."""

    unit = models.ForeignKey(
        "stakeholders.BusinessUnit", on_delete=models.CASCADE, related_name="maturity_assessments"
    )
    side = models.CharField(max_length=10, choices=Side)
    level = models.PositiveSmallIntegerField(choices=MaturityLevel)
    comment = models.TextField(blank=True, max_length=2000)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UnitScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("maturity assessment")
        verbose_name_plural = _("maturity assessments")
        db_table = "brm_maturityassessment"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="maturity_level_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.side}: {self.get_level_display()}"


class DigestLog(TimeStampedModel):
    """The weekly leadership digest, one row a week (its email is a `core.OutboundEmail`, so it
    goes once); `sent_at` and `recipients` record it once the mail server accepted it."""

    week_start = models.DateField(unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("digest log")
        verbose_name_plural = _("digest logs")
        db_table = "brm_digestlog"

    def __str__(self) -> str:
        return f"Digest of week {self.week_start}"
