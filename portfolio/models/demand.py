"""The demand and business-case portfolio: ideas, business cases, priority and realised benefits.

A business leader files an idea (`Demand` in status "idea"); the unit's BRM turns it into a
business case with the sponsor (benefit, cost, objectives, risk, effort), which gives it a
priority score (`portfolio.services.scoring`). Status changes only through
`portfolio.services.workflow`, which writes `DemandStatusChange`. After delivery, `BenefitRecord`
rows hold planned and realised benefit per period; the sponsor confirms them (`confirmed_by`), or
they stay IT estimates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brm.core.links import detail_url
from brm.core.models import (
    SingletonSettings,
    TimeStampedModel,
    UnitScopedModel,
    UnitScopedQuerySet,
    VersionedModel,
)
from brm.core.roles import Role, reads_all_units, role_of, writes_all_units
from brm.core.search import SearchDocument
from brm.core.validators import single_line
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]

COST_ABOVE_ZERO = _(
    "The estimated cost must be more than 0: every demand costs something (at least the "
    "effort), and the score divides the benefit by it."
)


def validate_estimated_cost(value: Decimal | None) -> None:
    """The one rule for a business case's estimated cost: absent (not yet assessed) or more
    than 0. A model field validator (so the admin, ModelForms and ModelSerializers refuse it),
    asked by `portfolio.services.scoring.check_cost`, and backed by the CheckConstraint
    ``demand_cost_above_zero``. Raises `ValidationError` (code "cost_negative" or
    "cost_not_above_zero")."""
    if value is None:
        return
    if Decimal(value) < 0:
        raise ValidationError(
            gettext("The estimated cost cannot be negative."), code="cost_negative"
        )
    if Decimal(value) == 0:
        raise ValidationError(COST_ABOVE_ZERO, code="cost_not_above_zero")


ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]
ZERO = Value(Decimal("0"), output_field=models.DecimalField(**MONEY))


class DemandStatus(models.TextChoices):
    IDEA = "idea", _("Idea")
    ASSESSING = "assessing", _("Assessing")
    APPROVED = "approved", _("Approved")
    IN_DELIVERY = "in_delivery", _("In delivery")
    DELIVERED = "delivered", _("Delivered")
    BENEFITS_REALISED = "benefits_realised", _("Benefits realised")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The order of the board's columns; rejected and withdrawn are shown apart.
PIPELINE = [
    DemandStatus.IDEA,
    DemandStatus.ASSESSING,
    DemandStatus.APPROVED,
    DemandStatus.IN_DELIVERY,
    DemandStatus.DELIVERED,
    DemandStatus.BENEFITS_REALISED,
]
CLOSED_STATUSES = (DemandStatus.REJECTED, DemandStatus.WITHDRAWN)
# Where benefits are recorded and attested.
AFTER_DELIVERY = (DemandStatus.DELIVERED, DemandStatus.BENEFITS_REALISED)
# What the portfolio still decides about or invests in (the ranked table's default).
ACTIVE_STATUSES = (
    DemandStatus.IDEA,
    DemandStatus.ASSESSING,
    DemandStatus.APPROVED,
    DemandStatus.IN_DELIVERY,
)


class BenefitKind(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    COST_SAVING = "cost_saving", _("Cost saving")
    RISK_REDUCTION = "risk_reduction", _("Risk reduction")
    COMPLIANCE = "compliance", _("Compliance")


class Urgency(models.TextChoices):
    LOW = "low", _("Can wait")
    MEDIUM = "medium", _("This year")
    HIGH = "high", _("This quarter")
    CRITICAL = "critical", _("Now")


class DemandSettings(SingletonSettings):
    """Score weights and the attestation schedule; one row, created with defaults, admin-edited.

    The weights feed `portfolio.services.scoring.priority_score`; changing them re-scores every
    demand (see `portfolio.services.demand.rescore_all`, called from the admin).
    """

    alignment_weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=NON_NEGATIVE,
        help_text=_("How much full strategic alignment (5/5) multiplies the value: 1 + weight."),
    )
    risk_weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[*NON_NEGATIVE, MaxValueValidator(Decimal("1"))],
        help_text=_("Share of the value lost at the highest risk (5/5); 0-1."),
    )
    effort_weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.25"),
        validators=[*NON_NEGATIVE, MaxValueValidator(Decimal("1"))],
        help_text=_("Share of the value lost at the highest effort (5/5); 0-1."),
    )
    # No currency here: money is shown in the one site-wide currency, settings.BRM_CURRENCY.
    attestation_interval_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text=_("After delivery, ask the sponsor to confirm realised benefits this often."),
    )
    attestation_rounds = models.PositiveSmallIntegerField(
        default=4,
        validators=[MaxValueValidator(20)],
        help_text=_("How many times to ask after delivery (0: never)."),
    )

    class Meta:
        verbose_name = _("demand settings")
        verbose_name_plural = _("demand settings")

    def __str__(self) -> str:
        return "Demand scoring weights and benefit attestation"


class StrategicObjectiveQuerySet(models.QuerySet["StrategicObjective"]):
    def visible_to(self, user: AnyUser) -> StrategicObjectiveQuerySet:
        # The organisation's objectives are public to everyone with a role: leaders align to them.
        if reads_all_units(user) or role_of(user) == Role.LEADER:
            return self
        return self.none()

    def editable_by(self, user: AnyUser) -> StrategicObjectiveQuerySet:
        return self if writes_all_units(user) else self.none()


class StrategicObjective(VersionedModel, TimeStampedModel):
    """One of the organisation's strategic objectives that demands align to."""

    name = models.CharField(max_length=120, unique=True, validators=[single_line])
    description = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()
    objects = StrategicObjectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("demands:objective_list") + f"#objective-{self.pk}"

    def is_editable_by(self, user: AnyUser) -> bool:
        return writes_all_units(user)


class DemandQuerySet(UnitScopedQuerySet["Demand"]):
    def with_benefits(self) -> DemandQuerySet:
        """Planned, realised and business-confirmed benefit, and leakage, summed in the database.

        Subqueries rather than joins, so the sums never multiply with other joined rows.
        """

        def total(field: str, **extra: object) -> Coalesce:
            rows = (
                BenefitRecord.objects.filter(demand=OuterRef("pk"), **extra)
                .order_by()
                .values("demand")
                .annotate(s=Sum(field))
                .values("s")
            )
            return Coalesce(Subquery(rows), ZERO)

        return self.annotate(
            planned_total=total("planned_amount"),
            realised_total=total("realised_amount"),
            confirmed_total=total("realised_amount", confirmed_at__isnull=False),
        ).annotate(leakage=F("planned_total") - F("realised_total"))


# What the global search reads (`brm.core.search`), in a GIN index on PostgreSQL.
DEMAND_SEARCH = SearchDocument("demand_search", ("title", "problem", "outcome"))


class Demand(VersionedModel, UnitScopedModel):
    """An idea or need from a business unit, grown into a business case and tracked to benefits.

    `status` changes only through `portfolio.services.workflow.transition_demand`. `priority_score`
    is stored (so the board sorts in the database) and recomputed whenever the business case or
    the weights change. `rank_override` puts a demand at a chosen position on the ranked table,
    always with a reason; who and when are kept on the record and in its history.
    """

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="demands")
    sponsor = models.ForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_demands",
        help_text=_("The business person who owns the case and confirms its benefits."),
    )
    brm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands_as_brm",
        verbose_name=_("relationship manager"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands_submitted",
    )
    title = models.CharField(max_length=200, validators=[single_line])
    problem = models.TextField(max_length=5000, help_text=_("What is not working today?"))
    outcome = models.TextField(max_length=5000, help_text=_("What should be different afterwards?"))
    urgency = models.CharField(max_length=10, choices=Urgency, default=Urgency.MEDIUM)
    status = models.CharField(
        max_length=20, choices=DemandStatus, default=DemandStatus.IDEA, db_index=True
    )
    status_reason = models.TextField(
        blank=True, max_length=2000, help_text=_("Why it is where it is (always set when closed).")
    )
    # --- The business case ---
    benefit_kind = models.CharField(max_length=20, choices=BenefitKind, blank=True)
    expected_benefit = models.DecimalField(
        **MONEY, null=True, blank=True, validators=NON_NEGATIVE, help_text=_("Per year.")
    )
    estimated_cost = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[validate_estimated_cost],
        help_text=_("One-off, all in; more than 0."),
    )
    objectives = models.ManyToManyField(
        StrategicObjective,
        blank=True,
        related_name="demands",
        verbose_name=_("strategic objectives"),
    )
    alignment = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(5)],
        help_text=_("How strongly it serves the objectives, 0-5."),
    )
    risk = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=ONE_TO_FIVE, help_text=_("Delivery risk, 1 (low)-5.")
    )
    effort = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=ONE_TO_FIVE, help_text=_("Effort, 1 (small)-5.")
    )
    priority_score = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, editable=False, db_index=True
    )
    # --- A human override of the ranking ---
    rank_override = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Position on the board."),
    )
    override_reason = models.TextField(blank=True, max_length=2000)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["objectives"])
    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "status"]), DEMAND_SEARCH.index()]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_benefit__isnull=True) | Q(expected_benefit__gte=0),
                name="demand_benefit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(estimated_cost__isnull=True) | Q(estimated_cost__gt=0),
                name="demand_cost_above_zero",
            ),
            models.CheckConstraint(
                condition=Q(risk__isnull=True) | (Q(risk__gte=1) & Q(risk__lte=5)),
                name="demand_risk_1_5",
            ),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | (Q(effort__gte=1) & Q(effort__lte=5)),
                name="demand_effort_1_5",
            ),
            models.CheckConstraint(
                condition=Q(alignment__isnull=True) | Q(alignment__lte=5),
                name="demand_alignment_0_5",
            ),
            models.CheckConstraint(
                condition=Q(rank_override__isnull=True) | ~Q(override_reason=""),
                name="demand_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"D-{self.pk:04d}" if self.pk else "New"

    def get_absolute_url(self) -> str:
        return detail_url("demands:demand_detail", self.pk)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def case_complete(self) -> bool:
        """Everything the score needs is there (approval requires it)."""
        return None not in (
            self.expected_benefit,
            self.estimated_cost,
            self.alignment,
            self.risk,
            self.effort,
        ) and bool(self.benefit_kind)


class DemandStatusChange(models.Model):
    """One step of a demand's journey: who moved it, from where to where, when, and why.

    Append-only, like the complaint timeline: the sponsor reads it to see where their demand
    is and why.
    """

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=DemandStatus, blank=True)
    to_status = models.CharField(max_length=20, choices=DemandStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("demand status change")
        verbose_name_plural = _("demand status changes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.from_status or '—'} -> {self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Status changes are a record of what happened; they never change.")
        super().save(*args, **kwargs)


class BenefitRecordQuerySet(UnitScopedQuerySet["BenefitRecord"]):
    unit_path = "demand__unit"


class BenefitRecord(VersionedModel, UnitScopedModel):
    """Planned and realised benefit of a delivered demand for one period.

    IT records the figure (an estimate) and the sponsor confirms it: `confirmed_by`/`confirmed_at`
    tell business-confirmed figures from IT estimates. Changing the realised amount clears the
    confirmation, because the business confirmed a different number.
    """

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="benefit_records")
    period_start = models.DateField()
    period_end = models.DateField()
    planned_amount = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    realised_amount = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    note = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = BenefitRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit record")
        verbose_name_plural = _("benefit records")
        ordering = ["demand", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "period_start"], name="benefit_record_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="benefit_record_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0) & Q(realised_amount__gte=0),
                name="benefit_record_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.period_start}..{self.period_end}"

    def get_unit(self) -> BusinessUnit:
        return self.demand.unit

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def leakage(self) -> Decimal:
        return self.planned_amount - self.realised_amount


class BenefitAttestation(TimeStampedModel):
    """One request to the sponsor to confirm realised benefits.

    The unique (demand, due_on) makes it once per period: the daily job creating the same
    request twice gets an IntegrityError and records nothing. Its email is a `core.OutboundEmail`
    written with it; `sent_at` and `recipients` record it once the mail server accepted it.
    """

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="attestations")
    due_on = models.DateField(help_text=_("The end of the period the sponsor is asked about."))
    round = models.PositiveSmallIntegerField()
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("benefit attestation")
        verbose_name_plural = _("benefit attestations")
        ordering = ["-due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "due_on"], name="attestation_once_per_period")
        ]

    def __str__(self) -> str:
        return f"Attestation {self.round} for {self.demand_id} ({self.due_on})"
