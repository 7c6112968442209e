"""The service catalogue: the services IT runs, who consumes them, and how each period went.

The demand/business-case portfolio is in `portfolio.models.demand`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_slug
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brm.core.links import detail_url
from brm.core.models import TimeStampedModel, VersionedModel
from brm.core.models.fields import NullableUniqueCharField
from brm.core.roles import Role, leader_unit_id, reads_all_units, role_of, writes_all_units
from brm.core.validators import single_line

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from brm.core.roles import AnyUser

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Lifecycle(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


class ServiceQuerySet(models.QuerySet["Service"]):
    """The catalogue is open to every IT-side role; a business leader sees what their unit uses."""

    def visible_to(self, user: AnyUser) -> ServiceQuerySet:
        if reads_all_units(user):
            return self
        if role_of(user) == Role.LEADER:
            unit_id = leader_unit_id(user)
            if unit_id is not None:
                # A subquery instead of a join keeps one row per service without DISTINCT.
                return self.filter(
                    pk__in=Service.consumers.through.objects.filter(businessunit_id=unit_id).values(
                        "service_id"
                    )
                )
        return self.none()

    def editable_by(self, user: AnyUser) -> ServiceQuerySet:
        return self if writes_all_units(user) else self.none()


class Service(VersionedModel, TimeStampedModel):
    """A service in the portfolio, with the SLA agreed with the units that consume it.

    `workload_limit` is the volume the SLA covers per reporting period (ISO/IEC 20000 asks
    to report workload against the agreed limits): above it, the targets no longer bind IT.
    """

    name = models.CharField(max_length=120, unique=True, validators=[single_line])
    # The natural key files and other systems name a service by (bulk import, exports); blank
    # is NULL so services added before codes existed, or without one, never clash.
    code = NullableUniqueCharField(
        max_length=40,
        unique=True,
        validators=[validate_slug],
        help_text=_("Short code, e.g. 'email' (letters, digits, - and _)."),
    )
    description = models.TextField(blank=True, max_length=4000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
        verbose_name=_("service owner"),
    )
    lifecycle = models.CharField(max_length=10, choices=Lifecycle, default=Lifecycle.LIVE)
    consumers = models.ManyToManyField(
        "stakeholders.BusinessUnit",
        blank=True,
        related_name="services",
        verbose_name=_("consuming business units"),
    )
    availability_target = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.5"),
        validators=PERCENT_VALIDATORS,
        help_text=_("Agreed availability per period, in %."),
    )
    response_time_target_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Agreed time to respond to an incident, in minutes (empty: no target)."),
    )
    workload_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Requests per period the SLA covers (empty: no limit)."),
    )
    workload_unit = models.CharField(max_length=40, default="requests")

    history = HistoricalRecords(excluded_fields=["consumers"])
    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(availability_target__gte=0) & Q(availability_target__lte=100),
                name="service_availability_target_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("portfolio:service_detail", self.pk)

    def is_editable_by(self, user: AnyUser) -> bool:
        return writes_all_units(user)


class ServiceMetricQuerySet(models.QuerySet["ServiceMetric"]):
    def visible_to(self, user: AnyUser) -> ServiceMetricQuerySet:
        return self.filter(service__in=Service.objects.visible_to(user))

    def editable_by(self, user: AnyUser) -> ServiceMetricQuerySet:
        return self if writes_all_units(user) else self.none()

    def overlapping(self, start: date, end: date) -> ServiceMetricQuerySet:
        """Periods sharing at least one day with [start, end] (both ends inclusive)."""
        return self.filter(period_start__lte=end, period_end__gte=start)


def metric_errors(
    period_start: date | None,
    period_end: date | None,
    incidents: int | None = None,
    major_incidents: int | None = None,
) -> dict[str, StrOrPromise]:
    """The rules of one service metric's figures, kept in one place for the model's `clean()`,
    the API serializer and the push service (`portfolio.services.catalogue.upsert_metrics`).
    Returns `{field: message}` (lazy, in the reader's language), empty when all is well:
    `period_end` when the period does not end after it starts (unchecked while either date is
    missing); `major_incidents` when more major incidents than incidents are given (unchecked
    while `incidents` is None; a missing `major_incidents` counts as 0)."""
    errors: dict[str, StrOrPromise] = {}
    if period_start and period_end and period_end <= period_start:
        errors["period_end"] = _("The period must end after it starts.")
    if incidents is not None and (major_incidents or 0) > incidents:
        errors["major_incidents"] = _("Major incidents are counted among all incidents.")
    return errors


class ServiceMetric(VersionedModel, TimeStampedModel):
    """What a service delivered in one period (a month or a week), pushed in by an integration.

    Periods are whole days, both ends inclusive. `sla_met` is derived from the service's
    targets when the figures are saved, so it reflects the SLA that applied at the time.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="metrics")
    period_start = models.DateField()
    period_end = models.DateField()
    availability = models.DecimalField(
        max_digits=6, decimal_places=3, validators=PERCENT_VALIDATORS, help_text=_("In %.")
    )
    incidents = models.PositiveIntegerField(default=0)
    major_incidents = models.PositiveIntegerField(default=0)
    response_time_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Mean time to respond to an incident, in minutes.")
    )
    workload = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Requests handled in the period.")
    )
    sla_met = models.BooleanField(default=True, editable=False)

    objects = ServiceMetricQuerySet.as_manager()

    class Meta:
        verbose_name = _("service metric")
        verbose_name_plural = _("service metrics")
        ordering = ["service", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period_start"], name="service_metric_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="service_metric_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(availability__gte=0) & Q(availability__lte=100),
                name="service_metric_availability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(major_incidents__lte=F("incidents")),
                name="service_metric_major_within_incidents",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.period_start}..{self.period_end}"

    def is_editable_by(self, user: AnyUser) -> bool:
        return writes_all_units(user)

    def compute_sla_met(self) -> bool:
        """Availability at or above target and, where both are known, response within target."""
        service = self.service
        if self.availability < service.availability_target:
            return False
        return not (
            service.response_time_target_minutes is not None
            and self.response_time_minutes is not None
            and self.response_time_minutes > service.response_time_target_minutes
        )

    @property
    def over_workload_limit(self) -> bool:
        limit = self.service.workload_limit
        return limit is not None and self.workload is not None and self.workload > limit

    def clean(self) -> None:
        errors = metric_errors(
            self.period_start, self.period_end, self.incidents, self.major_incidents
        )
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sla_met = self.compute_sla_met()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "sla_met"}
        super().save(*args, **kwargs)
