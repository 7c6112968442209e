"""Service reviews at planned intervals, the changes raised at them, and the reminders sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Expression, ExpressionWrapper, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
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
from brm.core.search import SearchDocument
from brm.core.validators import single_line
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from stakeholders.models import BusinessUnit as Unit


class ReviewSettings(SingletonSettings):
    """Reminder timing an administrator tunes in the admin; one row, created with defaults."""

    reminder_days_ahead = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Send the reminder and invitation this many days before a review."),
    )
    overdue_grace_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(60)],
        help_text=_("A planned review not marked held this many days after its time is overdue."),
    )

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self) -> str:
        return "Review reminder settings"


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


def overdue_cutoff(now: datetime | None = None, grace_days: int | None = None) -> datetime:
    """The one rule for "overdue": a planned review scheduled before this moment is overdue.

    The list badge, the banner, the overdue tab, the review page and the overdue notices all
    go through here, so they never disagree about the grace days.
    """
    if grace_days is None:
        grace_days = ReviewSettings.get().overdue_grace_days
    return (now or timezone.now()) - timedelta(days=grace_days)


def stored_overdue_cutoff(now: datetime | None = None) -> datetime | Expression:
    """`overdue_cutoff` as SQL on PostgreSQL, reading the stored grace days inside the query
    that filters by it (a scalar subquery; the field's default when no settings row exists yet,
    as `ReviewSettings.get()` would create it), so a list of overdue reviews is one query, not a
    settings query and then the list: `now` minus that many 24-hour days (the connection is in
    UTC), as in Python. SQLite cannot multiply a duration, so there it is `overdue_cutoff`."""
    if connection.vendor != "postgresql":
        return overdue_cutoff(now)
    default = ReviewSettings._meta.get_field("overdue_grace_days").get_default()
    grace = Coalesce(
        Subquery(ReviewSettings.objects.filter(pk=1).values("overdue_grace_days")[:1]),
        Value(default),
    )
    return ExpressionWrapper(
        Value(now or timezone.now()) - grace * Value(timedelta(days=1)),
        output_field=models.DateTimeField(),
    )


def overdue_condition(cutoff: datetime | Expression) -> Q:
    return Q(status=ReviewStatus.PLANNED, scheduled_at__lt=cutoff)


class ServiceReviewQuerySet(UnitScopedQuerySet["ServiceReview"]):
    def upcoming(self, now: datetime | None = None) -> ServiceReviewQuerySet:
        return self.filter(status=ReviewStatus.PLANNED, scheduled_at__gte=now or timezone.now())

    def overdue(
        self, now: datetime | None = None, grace_days: int | None = None
    ) -> ServiceReviewQuerySet:
        """Planned reviews whose time has passed by more than the grace days, still not held;
        without `grace_days`, the stored ones read in the same query (`stored_overdue_cutoff`)."""
        if grace_days is None:
            return self.filter(overdue_condition(stored_overdue_cutoff(now)))
        return self.filter(overdue_condition(overdue_cutoff(now, grace_days)))

    def with_overdue(
        self, now: datetime | None = None, grace_days: int | None = None
    ) -> ServiceReviewQuerySet:
        """Annotate `overdue_now` (a boolean) by the same rule as `overdue()`, for badges."""
        condition = overdue_condition(overdue_cutoff(now, grace_days))
        return self.annotate(
            overdue_now=ExpressionWrapper(condition, output_field=models.BooleanField())
        )


# What the global search reads (`brm.core.search`), in a GIN index on PostgreSQL; the unit's
# name is searched too, through the unit.
REVIEW_SEARCH = SearchDocument("review_search", ("agenda", "outcome", "minutes", "location"))


class ServiceReview(VersionedModel, UnitScopedModel):
    """A review with a business unit of the services it consumes (ISO/IEC 20000 "at planned
    intervals"). When held, the performance pack for the period is frozen into
    `performance_pack`, so later metric corrections never rewrite what was discussed.
    """

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="reviews")
    services = models.ManyToManyField(
        "portfolio.Service", blank=True, related_name="reviews", verbose_name=_("services covered")
    )
    scheduled_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus, default=ReviewStatus.PLANNED)
    agenda = models.TextField(blank=True, max_length=5000)
    attendees = models.ManyToManyField(
        "stakeholders.Stakeholder",
        blank=True,
        related_name="reviews",
        verbose_name=_("business attendees"),
    )
    it_attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews", verbose_name=_("IT attendees")
    )
    period_start = models.DateField(help_text=_("First day of the period the pack covers."))
    period_end = models.DateField(help_text=_("Last day of the period the pack covers."))
    minutes = models.TextField(blank=True, max_length=20000)
    outcome = models.TextField(blank=True, max_length=2000)
    performance_pack = models.JSONField(null=True, blank=True, editable=False)
    held_at = models.DateTimeField(null=True, blank=True)
    # RFC 5545 SEQUENCE of the calendar invitation: 0 when planned, +1 for every change invitees
    # must hear about (moved, re-timed, relocated, cancelled); calendars keep the highest.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Commitments made at the review; the link lives here so the register knows no reviews.
    action_items = models.ManyToManyField(
        "stakeholders.ActionItem", through="ReviewCommitment", related_name="+", blank=True
    )

    history = HistoricalRecords(excluded_fields=["performance_pack"])
    objects = ServiceReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("service review")
        verbose_name_plural = _("service reviews")
        ordering = ["-scheduled_at", "-pk"]
        indexes = [models.Index(fields=["unit", "status", "scheduled_at"]), REVIEW_SEARCH.index()]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_at__isnull=False),
                name="review_held_has_held_at",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="review_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Service review with {self.unit} on {timezone.localdate(self.scheduled_at)}"

    def get_absolute_url(self) -> str:
        return detail_url("reviews:review_detail", self.pk)

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)

    def is_overdue(self, now: datetime | None = None, grace_days: int | None = None) -> bool:
        """`overdue_condition` in Python, for a review already loaded."""
        cutoff = overdue_cutoff(now, grace_days)
        return self.status == ReviewStatus.PLANNED and self.scheduled_at < cutoff

    @property
    def ical_uid(self) -> str:
        host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"review-{self.pk}@{host or 'brm'}"


def default_period(unit: Unit, scheduled_at: datetime) -> tuple[date, date]:
    """The pack covers the cadence before the review: from one cadence back to the day before."""
    end = timezone.localdate(scheduled_at) - timedelta(days=1)
    return end - timedelta(days=unit.review_cadence_days - 1), end


class ChangeKind(models.TextChoices):
    SCOPE = "scope", _("Change to scope")
    CONTRACT = "contract", _("Change to contract")


class ChangeStatus(models.TextChoices):
    RAISED = "raised", _("Raised")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    IMPLEMENTED = "implemented", _("Implemented")


# Which decisions may follow which: a rejected or implemented change is closed.
CHANGE_TRANSITIONS = {
    ChangeStatus.RAISED: {ChangeStatus.ACCEPTED, ChangeStatus.REJECTED},
    ChangeStatus.ACCEPTED: {ChangeStatus.IMPLEMENTED, ChangeStatus.REJECTED},
    ChangeStatus.REJECTED: set(),
    ChangeStatus.IMPLEMENTED: set(),
}


class ChangeRequestQuerySet(UnitScopedQuerySet["ChangeRequest"]):
    unit_path = "review__unit"


class ChangeRequest(VersionedModel, UnitScopedModel):
    """A change to the scope of a service or to the contract, raised at a review."""

    review = models.ForeignKey(
        ServiceReview, on_delete=models.CASCADE, related_name="change_requests"
    )
    service = models.ForeignKey(
        "portfolio.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_requests",
    )
    kind = models.CharField(max_length=10, choices=ChangeKind, default=ChangeKind.SCOPE)
    title = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=12, choices=ChangeStatus, default=ChangeStatus.RAISED)
    decision = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_unit(self) -> BusinessUnit:
        return self.review.unit


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before the review")
    OVERDUE = "overdue", _("Overdue notice")


class ReviewNotice(TimeStampedModel):
    """One notice about a review to one person: a reminder or an overdue notice, at most once
    per review, person and kind (the unique row).

    Its email is a `core.OutboundEmail` sent by the kernel's delivery path (claimed once,
    retried, a dead worker's claim released and resent with the same Message-ID); `sent_at`
    is written only once the mail server accepted it.
    """

    review = models.ForeignKey(ServiceReview, on_delete=models.CASCADE, related_name="notices")
    recipient = models.EmailField()
    kind = models.CharField(max_length=10, choices=NoticeKind)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("review notice")
        verbose_name_plural = _("review notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "recipient", "kind"], name="review_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"


class UnplannedReviewNotice(TimeStampedModel):
    """One email to a unit's BRM or deputy: the unit's review is due and none is planned.

    Sent once per unit, due date and person (the unique row; its email goes through the kernel's
    delivery path, as for `ReviewNotice`); when a review is held the unit gets a new due date
    and, if that one also passes with nothing planned, a new notice.
    """

    unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="unplanned_review_notices"
    )
    due_on = models.DateField(help_text=_("The day the unit's next review was due."))
    recipient = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unplanned review notice")
        verbose_name_plural = _("unplanned review notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "due_on", "recipient"], name="unplanned_review_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Review due, none planned: {self.unit} ({self.due_on}) to {self.recipient}"


class ReviewCommitment(models.Model):
    """A commitment (`stakeholders.ActionItem`) made at a service review (one review at most)."""

    review = models.ForeignKey(
        ServiceReview, on_delete=models.CASCADE, related_name="commitment_links"
    )
    commitment = models.OneToOneField(
        "stakeholders.ActionItem", on_delete=models.CASCADE, related_name="review_link"
    )

    class Meta:
        verbose_name = _("commitment made at a review")
        verbose_name_plural = _("commitments made at a review")

    def __str__(self) -> str:
        return f"{self.commitment_id} at review {self.review_id}"
