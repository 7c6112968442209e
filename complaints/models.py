"""Complaints with escalation, and feedback (compliments and suggestions).

ISO 10002 steps: receive, acknowledge, investigate, respond, close, each within published time
frames. The time frames live in `ComplaintSettings`; the state machine in `complaints.workflow`;
the timeline (`ComplaintEvent`) is append-only; `ComplaintNotification` is the outbox that makes
every email safe to retry and impossible to send twice.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.utils import timezone
from django.utils.functional import lazy
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
from brm.core.roles import Role, leader_unit_id, reads_all_units, role_of
from brm.core.schedule import PublicHolidays, WorkingCalendar, add_working_time
from brm.core.search import SearchDocument
from brm.core.validators import single_line
from stakeholders.models import BusinessUnit

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING)

# Defaults in code; an administrator overrides them in the admin (ComplaintSettings).
DEFAULT_ACK_HOURS = {"low": 24, "medium": 8, "high": 4, "critical": 1}
DEFAULT_RESOLVE_HOURS = {"low": 240, "medium": 120, "high": 48, "critical": 8}
# Targets count working time (the working calendar below); these severities count every hour.
DEFAULT_ROUND_THE_CLOCK = {"low": False, "medium": False, "high": False, "critical": True}
DEFAULT_WORKING_DAYS = "1,2,3,4,5"  # ISO weekdays, 1 = Monday
DEFAULT_WORKING_DAY_START = time(9, 0)
DEFAULT_WORKING_DAY_END = time(17, 0)

HEAD_OF_BRM_GROUP = "Head of BRM"


def _head_of_brm_help() -> str:
    """The help text of `ComplaintSettings.head_of_brm`, in the reader's language."""
    return gettext("Level-2 escalations go here; if empty, to the '%(group)s' group.") % {
        "group": HEAD_OF_BRM_GROUP
    }


class ComplaintSettings(SingletonSettings):
    """Targets, the working calendar they count in, and escalation steps an administrator
    tunes; one row, created with defaults.

    Targets are hours of working time (`working_calendar`): the working days and hours below,
    minus public holidays (the country's from ``settings.WORKING_CALENDAR_COUNTRY`` and
    ``WORKING_CALENDAR_SUBDIVISION``, plus `PublicHoliday` rows), in the site's time zone. A
    severity marked round the clock counts every hour instead.
    """

    ack_hours_low = models.PositiveIntegerField(default=DEFAULT_ACK_HOURS["low"])
    ack_hours_medium = models.PositiveIntegerField(default=DEFAULT_ACK_HOURS["medium"])
    ack_hours_high = models.PositiveIntegerField(default=DEFAULT_ACK_HOURS["high"])
    ack_hours_critical = models.PositiveIntegerField(default=DEFAULT_ACK_HOURS["critical"])
    resolve_hours_low = models.PositiveIntegerField(default=DEFAULT_RESOLVE_HOURS["low"])
    resolve_hours_medium = models.PositiveIntegerField(default=DEFAULT_RESOLVE_HOURS["medium"])
    resolve_hours_high = models.PositiveIntegerField(default=DEFAULT_RESOLVE_HOURS["high"])
    resolve_hours_critical = models.PositiveIntegerField(default=DEFAULT_RESOLVE_HOURS["critical"])
    reopen_window_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_("How long after resolution the complainant may reopen."),
    )
    level2_after_hours = models.PositiveIntegerField(
        default=24,
        help_text=_(
            "Hours after a deadline is breached before the head of BRM is told (level 2), "
            "counted like the severity's targets (working hours unless round the clock)."
        ),
    )
    level3_after_hours = models.PositiveIntegerField(
        default=72,
        help_text=_(
            "Hours after a deadline is breached before the executive is told (level 3), "
            "counted like the severity's targets."
        ),
    )
    working_days = models.CharField(
        max_length=13,
        default=DEFAULT_WORKING_DAYS,
        validators=[
            RegexValidator(
                r"^[1-7](,[1-7]){0,6}$", "Weekday numbers 1-7 separated by commas, e.g. 1,2,3,4,5."
            )
        ],
        help_text=_("Working weekdays, 1 = Monday ... 7 = Sunday, e.g. 1,2,3,4,5."),
    )
    working_day_start = models.TimeField(
        default=DEFAULT_WORKING_DAY_START, help_text=_("Start of the working day (site time).")
    )
    working_day_end = models.TimeField(
        default=DEFAULT_WORKING_DAY_END, help_text=_("End of the working day (site time).")
    )
    round_the_clock_low = models.BooleanField(
        default=DEFAULT_ROUND_THE_CLOCK["low"], help_text=_("Low targets count every hour.")
    )
    round_the_clock_medium = models.BooleanField(
        default=DEFAULT_ROUND_THE_CLOCK["medium"], help_text=_("Medium targets count every hour.")
    )
    round_the_clock_high = models.BooleanField(
        default=DEFAULT_ROUND_THE_CLOCK["high"], help_text=_("High targets count every hour.")
    )
    round_the_clock_critical = models.BooleanField(
        default=DEFAULT_ROUND_THE_CLOCK["critical"],
        help_text=_("Critical targets count every hour (nights, weekends, holidays)."),
    )
    head_of_brm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=lazy(_head_of_brm_help, str)(),
    )

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return "Complaint targets and escalation"

    def ack_hours(self, severity: str) -> int:
        return int(getattr(self, f"ack_hours_{severity}"))

    def resolve_hours(self, severity: str) -> int:
        return int(getattr(self, f"resolve_hours_{severity}"))

    def round_the_clock(self, severity: str) -> bool:
        return bool(getattr(self, f"round_the_clock_{severity}"))

    def clean(self) -> None:
        if self.working_day_end <= self.working_day_start:
            raise ValidationError(
                {"working_day_end": gettext("The working day ends after it starts.")}
            )

    def working_calendar(self, severity: str) -> WorkingCalendar:
        """The calendar `severity`'s targets count in: round the clock if so marked, else the
        working days and hours minus public holidays, in ``settings.TIME_ZONE``."""
        if self.round_the_clock(severity):
            return WorkingCalendar(round_the_clock=True)
        weekdays = frozenset(int(d) for d in self.working_days.split(",") if d.strip())
        return WorkingCalendar(
            weekdays=weekdays,
            day_start=self.working_day_start,
            day_end=self.working_day_end,
            holidays=PublicHolidays(
                settings.WORKING_CALENDAR_COUNTRY,
                settings.WORKING_CALENDAR_SUBDIVISION,
                extra=PublicHoliday.objects.values_list("date", flat=True),
            ),
            tz=settings.TIME_ZONE,
        )

    def deadline(self, start: datetime, hours: int, severity: str) -> datetime:
        """`hours` of `severity`'s working time after `start` (`add_working_time`): the one
        rule for every complaint deadline and escalation delay."""
        return add_working_time(start, timedelta(hours=hours), self.working_calendar(severity))


class PublicHoliday(models.Model):
    """A day off for complaint targets, besides the country's public holidays (company
    closures, a holiday the country calendar lacks)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100, validators=[single_line])

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%d %b %Y})"


class ComplaintQuerySet(UnitScopedQuerySet["Complaint"]):
    def visible_to(self, user: AnyUser) -> ComplaintQuerySet:
        """IT reads all; a leader reads their unit's complaints and their own, nothing else."""
        if reads_all_units(user):
            return self
        if role_of(user) == Role.LEADER:
            unit_id = leader_unit_id(user)
            q = Q(complainant=user)
            if unit_id is not None:
                q |= Q(unit_id=unit_id)
            return self.filter(q)
        return self.none()

    def open(self) -> ComplaintQuerySet:
        """Not yet resolved or closed (ISO 10002: still to be worked)."""
        return self.filter(open_condition())

    def overdue(self, now: datetime | None = None) -> ComplaintQuerySet:
        """Open complaints past a deadline (`overdue_condition`)."""
        return self.filter(overdue_condition(now or timezone.now()))

    def with_overdue(self, now: datetime | None = None) -> ComplaintQuerySet:
        """Annotate `overdue_now` (a boolean) by the same rule as `overdue()`."""
        return self.annotate(
            overdue_now=ExpressionWrapper(
                overdue_condition(now or timezone.now()), output_field=models.BooleanField()
            )
        )


def open_condition(status: str = "status") -> Q:
    """The one rule for an open complaint: not yet resolved or closed.

    `status` names the field or annotation holding the status, e.g. the status a complaint had
    on a past date (`complaints.selectors.as_it_stood`)."""
    return Q(**{f"{status}__in": OPEN_STATUSES})


def overdue_condition(now: datetime, status: str = "status") -> Q:
    """The one rule for an overdue complaint: still not acknowledged after its acknowledge-by
    time, or still open after its resolve-by time (ISO 10002 published response times).

    The work queue's filter and badge, the escalation job, the dashboard, My relationships and
    the health engine all use it; `Complaint.is_overdue` is the same rule for one loaded row.
    `status` as in `open_condition` (the health history judges a past date by the status then).
    """
    return Q(**{status: Status.RECEIVED, "acknowledge_by__lt": now}) | (
        open_condition(status) & Q(resolve_by__lt=now)
    )


class FollowUpKind(models.TextChoices):
    CHANGE = "change", _("A change")
    DEMAND = "demand", _("A demand (new work)")
    IMPROVEMENT = "improvement", _("An improvement")


# What people wrote on a complaint (kept out of its history, see `Complaint.history`).
FREE_TEXT_FIELDS = [
    "title",
    "description",
    "remedy_requested",
    "resolution",
    "follow_up_reference",
    "follow_up_outcome",
]


# What the global search reads (`brm.core.search`), in a GIN index on PostgreSQL.
COMPLAINT_SEARCH = SearchDocument(
    "complaint_search", ("reference", "title", "description", "resolution")
)


class Complaint(VersionedModel, UnitScopedModel):
    """A complaint from the business about IT, worked to closure within the published targets.

    `status` changes only through `complaints.workflow.transition_complaint`, which writes the
    timeline. Deadlines are computed once from the targets in force when it was filed, so a later
    change of targets does not move promises already made. `handler` (the ISO 10002 complaint
    handler) changes only through `complaints.services.assign_complaint`. Versioned: a save read
    at an older version is refused (412 in the API); `history` is its audit trail.
    """

    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="complaints")
    service = models.ForeignKey(
        "portfolio.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        help_text=_("The IT service concerned, if known."),
    )
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_complaints",
        help_text=_(
            "The person in IT who works it (ISO 10002 complaint handler): the unit's "
            "relationship manager when filed, or whoever it is assigned to."
        ),
    )
    title = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(
        max_length=5000, help_text=_("What happened, in your own words.")
    )
    remedy_requested = models.TextField(
        blank=True, max_length=2000, help_text=_("What would put it right for you?")
    )
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.MEDIUM)
    status = models.CharField(max_length=15, choices=Status, default=Status.RECEIVED, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(3)],
        help_text=_("The highest escalation level reached in the current deadline cycle."),
    )
    cycle = models.PositiveSmallIntegerField(
        default=1,
        help_text=_(
            "Deadline cycle: 1 when filed, one more each time it is reopened. Each cycle "
            "has its own deadlines and escalates on its own, from level 1."
        ),
    )
    cycle_started_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the current cycle began (empty: when filed).")
    )
    acknowledge_by = models.DateTimeField()
    resolve_by = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, max_length=5000)
    resolution_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    # The work the fix needs: one linked record (its state closes the loop by itself, see
    # `complaints.follow_up`), or only a free-text reference for work outside this system.
    follow_up_kind = models.CharField(max_length=12, choices=FollowUpKind, blank=True)
    follow_up_change = models.ForeignKey(
        "reviews.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    follow_up_demand = models.ForeignKey(
        "portfolio.Demand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    follow_up_action = models.ForeignKey(
        "stakeholders.ActionItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("follow-up commitment"),
    )
    follow_up_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("A note, or the reference of work outside this system, e.g. 'CR-118'."),
    )
    follow_up_done_at = models.DateTimeField(null=True, blank=True)
    follow_up_outcome = models.TextField(blank=True, max_length=2000)

    objects = ComplaintQuerySet.as_manager()
    # The audit trail of the workflow's fields (who assigned whom, status, severity, deadlines).
    # People's words stay out of it: they live on the record and its timeline, where erasure and
    # the retention period reach them (`complaints.privacy`).
    history = HistoricalRecords(excluded_fields=FREE_TEXT_FIELDS)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["status", "resolve_by"]),
            models.Index(fields=["handler", "status"]),  # each person's queue
            COMPLAINT_SEARCH.index(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_rating__isnull=True)
                | (Q(resolution_rating__gte=1) & Q(resolution_rating__lte=5)),
                name="complaint_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=0) & Q(escalation_level__lte=3),
                name="complaint_escalation_0_3",
            ),
            models.CheckConstraint(
                condition=~(
                    Q(follow_up_change__isnull=False) & Q(follow_up_demand__isnull=False)
                    | Q(follow_up_change__isnull=False) & Q(follow_up_action__isnull=False)
                    | Q(follow_up_demand__isnull=False) & Q(follow_up_action__isnull=False)
                ),
                name="complaint_one_follow_up_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'New'}: {self.title}"

    def get_absolute_url(self) -> str:
        return detail_url("complaints:complaint_detail", self.pk)

    @staticmethod
    def make_reference(pk: int, at: datetime) -> str:
        """Human-friendly and unique because it comes from the primary key, never a row count."""
        return f"C-{at.year}-{pk:05d}"

    def set_deadlines(
        self, start: datetime, targets: ComplaintSettings, *, acknowledge: bool = True
    ) -> None:
        """Set the deadlines of a cycle starting at `start`: the severity's targets in working
        time (`ComplaintSettings.deadline`). Filing, reopening (`acknowledge=False`: a reopened
        complaint was acknowledged already) and a change of severity all come here."""
        if acknowledge:
            self.acknowledge_by = targets.deadline(
                start, targets.ack_hours(self.severity), self.severity
            )
        self.resolve_by = targets.deadline(
            start, targets.resolve_hours(self.severity), self.severity
        )

    def start_cycle(self, now: datetime, targets: ComplaintSettings) -> None:
        """Reopening: a new deadline cycle with fresh deadlines, escalating again from level 1."""
        self.cycle += 1
        self.cycle_started_at = now
        self.escalation_level = 0
        self.set_deadlines(now, targets, acknowledge=False)

    def retarget(self, targets: ComplaintSettings) -> None:
        """The severity changed: the current cycle's deadlines follow it, from the cycle's start."""
        start = self.cycle_started_at or self.created_at
        self.set_deadlines(start, targets, acknowledge=self.cycle == 1)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def follow_up_work(self) -> models.Model | None:
        """The linked change request, demand or commitment, if any (at most one is set)."""
        if self.follow_up_change_id:
            return self.follow_up_change
        if self.follow_up_demand_id:
            return self.follow_up_demand
        if self.follow_up_action_id:
            return self.follow_up_action
        return None

    def ack_breached(self, now: datetime) -> bool:
        """Still not acknowledged after its acknowledge-by time."""
        return self.status == Status.RECEIVED and self.acknowledge_by < now

    def resolve_breached(self, now: datetime) -> bool:
        """Still open after its resolve-by time."""
        return self.is_open and self.resolve_by < now

    def breached_deadlines(self, now: datetime) -> list[datetime]:
        """The deadlines this loaded complaint has passed as of `now`: `overdue_condition` for
        one row. Escalation measures lateness from the earliest of them."""
        return [
            deadline
            for deadline, breached in (
                (self.acknowledge_by, self.ack_breached(now)),
                (self.resolve_by, self.resolve_breached(now)),
            )
            if breached
        ]

    @property
    def ack_overdue(self) -> bool:
        return self.ack_breached(timezone.now())

    @property
    def resolve_overdue(self) -> bool:
        return self.resolve_breached(timezone.now())

    @property
    def is_overdue(self) -> bool:
        """`overdue_condition` for a complaint already loaded."""
        return bool(self.breached_deadlines(timezone.now()))

    @property
    def next_deadline(self) -> datetime | None:
        if self.status == Status.RECEIVED:
            return self.acknowledge_by
        return self.resolve_by if self.is_open else None

    def reopen_until(self, targets: ComplaintSettings | None = None) -> datetime | None:
        if self.resolved_at is None:
            return None
        targets = targets or ComplaintSettings.get()
        return self.resolved_at + timedelta(days=targets.reopen_window_days)


class AppendOnlyError(Exception):
    """The complaint timeline is a record of what happened: it is never changed or deleted."""


class ComplaintEventQuerySet(models.QuerySet["ComplaintEvent"]):
    # Bulk paths bypass Model.save/delete, so they are closed too.
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Complaint events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Complaint events cannot be deleted.")


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    TRANSITION = "transition", _("Status change")
    COMMENT = "comment", _("Comment")
    ESCALATION = "escalation", _("Escalation")
    RATING = "rating", _("Rating")
    FOLLOW_UP = "follow_up", _("Follow-up")
    ASSIGNMENT = "assignment", _("Assignment")


class ComplaintEvent(models.Model):
    """One entry of a complaint's timeline: who did what, when, from which state to which.

    Append-only: `save` refuses updates and `delete` refuses, and the admin and API expose no
    way to change one. The complaint is PROTECTed so deleting it cannot erase its timeline.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system acted (escalations)."),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Assignments: the person the complaint was assigned to."),
    )
    from_status = models.CharField(max_length=15, choices=Status, blank=True)
    to_status = models.CharField(max_length=15, choices=Status, blank=True)
    comment = models.TextField(blank=True, max_length=5000)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("The complaint's deadline cycle when it happened.")
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Complaint events cannot be changed.")
        if self.cycle is None:
            self.cycle = self.complaint.cycle  # every entry belongs to the cycle it happened in
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Complaint events cannot be deleted.")


class NotificationKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    STATUS_CHANGE = "status_change", _("Status change")
    ESCALATION = "escalation", _("Escalation")
    FOLLOW_UP = "follow_up", _("Follow-up done")
    ASSIGNMENT = "assignment", _("Assigned to a handler")


class ComplaintNotification(TimeStampedModel):
    """One notification that must go out, written in the same transaction as its cause.

    Its email is a `core.OutboundEmail` (`complaints.workflow.notify`), sent by the kernel's
    delivery path; `sent_at` and `recipients` record it once the mail server accepted it. The
    unique constraints make "each escalation level once per deadline cycle" and "one
    acknowledgement" hold even against concurrent jobs.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind)
    event = models.ForeignKey(
        ComplaintEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(
        default=1, help_text=_("The deadline cycle it belongs to.")
    )
    recipients = models.TextField(blank=True, help_text=_("Comma-separated, filled when sent."))
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("complaint notification")
        verbose_name_plural = _("complaint notifications")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "cycle", "level"],
                condition=Q(kind="escalation"),
                name="complaint_escalation_level_once_per_cycle",
            ),
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(kind="acknowledgement"),
                name="complaint_acknowledgement_once",
            ),
            models.UniqueConstraint(
                fields=["event"], condition=Q(event__isnull=False), name="complaint_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for complaint {self.complaint_id}"


# --- Feedback ---------------------------------------------------------------------------------


class FeedbackKind(models.TextChoices):
    COMPLIMENT = "compliment", _("Compliment")
    SUGGESTION = "suggestion", _("Suggestion")


class FeedbackQuerySet(UnitScopedQuerySet["Feedback"]):
    def visible_to(self, user: AnyUser) -> FeedbackQuerySet:
        """IT reads all; a leader reads their unit's feedback and their own."""
        if reads_all_units(user):
            return self
        if user.is_authenticated and role_of(user) == Role.LEADER:
            unit_id = leader_unit_id(user)
            q = Q(author=user)
            if unit_id is not None:
                q |= Q(unit_id=unit_id)
            return self.filter(q)
        if user.is_authenticated:
            return self.filter(author=user)
        return self.none()


class Feedback(TimeStampedModel):
    """A compliment or a suggestion for a team or a person in IT: share the credit."""

    kind = models.CharField(max_length=12, choices=FeedbackKind, default=FeedbackKind.COMPLIMENT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    about_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_received",
        verbose_name=_("person in IT"),
    )
    about_team = models.CharField(
        max_length=120, blank=True, verbose_name=_("team in IT"), validators=[single_line]
    )
    unit = models.ForeignKey(
        BusinessUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
        help_text=_("The business unit it comes from (shown on that unit's timeline)."),
    )
    message = models.TextField(max_length=2000)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "kind", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(about_person__isnull=False) | ~Q(about_team=""),
                name="feedback_about_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.about_label}"

    @property
    def about_label(self) -> str:
        person = self.about_person
        if person is not None:
            name = person.get_full_name() or person.get_username()
            return f"{name} ({self.about_team})" if self.about_team else name
        return self.about_team
