"""Satisfaction surveys at planned intervals (ISO/IEC 20000 "manage customer satisfaction").

A `Campaign` sends a `SurveyTemplate` to stakeholders; each recipient gets an `Invitation` with a
personal link that needs no login. Only a SHA-256 hash of the link's token is stored. Answers are
kept as one `Response` with its `Answer`s. Pulses are small campaigns sent automatically after a
service review is held or a complaint is resolved; `Pulse` makes each source trigger once.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brm.core.links import detail_url
from brm.core.models import SingletonSettings, TimeStampedModel, VersionedModel
from brm.core.roles import Role, leader_unit_id, reads_all_units, role_of
from brm.core.validators import single_line
from satisfaction.permissions import may_edit_template
from stakeholders.models import BusinessUnit, RoleType, Stakeholder

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh (raw, hash) pair. The raw value goes into the emailed link only."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


class SatisfactionSettings(SingletonSettings):
    """Survey fatigue, anonymity and reminder defaults an administrator tunes; one row."""

    fatigue_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[MaxValueValidator(365)],
        help_text=_("Nobody is invited again (campaign or pulse) within this many days."),
    )
    anonymity_min_group = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("Anonymous campaigns hide figures of groups with fewer responses than this."),
    )
    invitation_valid_days = models.PositiveSmallIntegerField(
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text=_("How long a survey link works after it is sent."),
    )
    default_max_reminders = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(5)]
    )
    default_reminder_days = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    pulses_enabled = models.BooleanField(
        default=True,
        help_text=_("Send a short pulse after a review is held or a complaint resolved."),
    )
    pulse_lookback_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Only reviews held / complaints resolved this recently get a pulse."),
    )
    pulse_template = models.ForeignKey(
        "SurveyTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: a built-in two-question pulse (CSAT and a comment)."),
    )

    class Meta:
        verbose_name = _("satisfaction settings")
        verbose_name_plural = _("satisfaction settings")

    def __str__(self) -> str:
        return "Survey fatigue, anonymity and reminders"


# --- Templates ----------------------------------------------------------------------------------


class QuestionKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (1-5)")
    NPS = "nps", _("Likelihood to recommend (0-10)")
    SERVICE_RATING = "service_rating", _("Rating per service used (1-5)")
    FREE_TEXT = "free_text", _("Free text")


SCALES = {
    QuestionKind.CSAT: (1, 5),
    QuestionKind.NPS: (0, 10),
    QuestionKind.SERVICE_RATING: (1, 5),
}


class SurveyTemplateQuerySet(models.QuerySet["SurveyTemplate"]):
    def visible_to(self, user: AnyUser) -> SurveyTemplateQuerySet:
        return self if reads_all_units(user) else self.none()


class SurveyTemplate(VersionedModel, TimeStampedModel):
    """A reusable questionnaire. Questions are asked in `position` order."""

    name = models.CharField(max_length=120, unique=True, validators=[single_line])
    description = models.TextField(blank=True, max_length=2000)
    intro = models.TextField(
        blank=True, max_length=1000, help_text=_("Shown to respondents above the questions.")
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()
    objects = SurveyTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_editable_by(self, user: AnyUser) -> bool:
        """`satisfaction.permissions.may_edit_template`: administrators and survey owners."""
        return may_edit_template(user, self)


class Question(TimeStampedModel):
    """One question of a template. A service rating is asked once per service the unit uses."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=20, choices=QuestionKind)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(QuestionKind(self.kind))


# --- Campaigns ----------------------------------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Schedule(models.TextChoices):
    ONCE = "once", _("Once")
    EVERY_N_DAYS = "every_n_days", _("Every N days")
    QUARTERLY = "quarterly", _("Quarterly")


class CampaignKind(models.TextChoices):
    SURVEY = "survey", _("Survey")
    PULSE = "pulse", _("Pulse")


class CampaignQuerySet(models.QuerySet["Campaign"]):
    """IT reads every campaign; a leader sees campaigns that asked their unit (results only)."""

    def visible_to(self, user: AnyUser) -> CampaignQuerySet:
        if reads_all_units(user):
            return self
        if role_of(user) == Role.LEADER:
            unit_id = leader_unit_id(user)
            if unit_id is not None:
                return self.filter(
                    pk__in=Campaign.units.through.objects.filter(businessunit_id=unit_id).values(
                        "campaign_id"
                    )
                )
        return self.none()

    def editable_by(self, user: AnyUser) -> CampaignQuerySet:
        if role_of(user) == Role.ADMIN:
            return self
        if role_of(user) == Role.BRM and user.is_authenticated:
            return self.filter(owner=user)
        return self.none()


class Campaign(VersionedModel, TimeStampedModel):
    """A survey sent to an audience, once or on a schedule.

    A recurring campaign is a series: each run is a child campaign (`parent`) sent once, so every
    run has its own response rate and results and the trend compares runs. The audience is the
    active stakeholders of `units` (optionally only some `role_types`), or explicit `recipients`
    for pulses, minus those invited within the fatigue window, sampled if `sample_size` is set.
    """

    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=150, validators=[single_line])
    kind = models.CharField(max_length=10, choices=CampaignKind, default=CampaignKind.SURVEY)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    units = models.ManyToManyField(BusinessUnit, related_name="campaigns")
    role_types = models.JSONField(
        default=list, blank=True, help_text=_("Stakeholder role types to ask; empty means all.")
    )
    recipients = models.ManyToManyField(
        Stakeholder, blank=True, related_name="+", help_text=_("Pulses: exactly these people.")
    )
    sample_size = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Ask a representative random sample of this many people."),
    )
    schedule = models.CharField(max_length=15, choices=Schedule, default=Schedule.ONCE)
    interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(7), MaxValueValidator(366)]
    )
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_run_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "The recurrence's anchor: every run is counted from this first date, in local "
            "time (set when the campaign is scheduled)."
        ),
    )
    anonymous = models.BooleanField(
        default=False, help_text=_("Show only aggregates; hide small groups and all comments.")
    )
    max_reminders = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(5)])
    reminder_days = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus, default=CampaignStatus.DRAFT, db_index=True
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["role_types"])
    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(schedule="every_n_days") | Q(interval_days__isnull=False),
                name="campaign_interval_when_recurring",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("satisfaction:campaign_detail", self.pk)

    @property
    def is_recurring(self) -> bool:
        return self.schedule != Schedule.ONCE

    def is_editable_by(self, user: AnyUser) -> bool:
        role = role_of(user)
        return role == Role.ADMIN or (role == Role.BRM and self.owner_id == user.pk)


# --- Invitations and answers --------------------------------------------------------------------


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def by_token(self, raw: str) -> Invitation | None:
        if not raw or len(raw) > 100:
            return None
        return (
            self.select_related("campaign", "campaign__template", "stakeholder__unit")
            .filter(token_hash=hash_token(raw))
            .first()
        )


class Invitation(TimeStampedModel):
    """One person asked in one campaign. `token_hash` is the hash of the link they were sent.

    The raw token exists only in the email: it is drawn when the email is sent (claiming
    `sent_at`) and drawn again for each reminder, so the newest email's link is the one that works.
    `reminders_sent` doubles as the claim that makes each reminder go out once.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_failed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    thanked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "stakeholder"], name="invitation_once_per_campaign"
            ),
        ]
        indexes = [models.Index(fields=["stakeholder", "created_at"])]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.stakeholder}"


class SkipReason(models.TextChoices):
    FATIGUE = "fatigue", _("Asked recently (survey fatigue)")
    NO_EMAIL = "no_email", _("No email address")
    NOT_SAMPLED = "not_sampled", _("Not drawn in the sample")


class Skip(TimeStampedModel):
    """Who was left out of a campaign when it was sent, and why (the builder shows these)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="skips")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=15, choices=SkipReason)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("skip")
        verbose_name_plural = _("skips")
        ordering = ["reason", "stakeholder__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "stakeholder"], name="skip_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder}: {self.get_reason_display()}"


class Response(TimeStampedModel):
    """One completed questionnaire.

    In an anonymous campaign `invitation` stays empty and `submitted_at` is rounded to the day,
    so no row links an answer to a person; the invitation's `answered_at` still counts the
    response rate and fatigue.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "unit"])]

    def __str__(self) -> str:
        return f"Response to {self.campaign}"


class Answer(models.Model):
    """One answer: a score for rated questions, text for free text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    service = models.ForeignKey(
        "portfolio.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=3000)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question__position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=10)),
                name="answer_score_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.score if self.score is not None else self.text[:30]}"


class PulseSource(models.TextChoices):
    REVIEW = "review", _("Service review held")
    COMPLAINT = "complaint", _("Complaint resolved")


class Pulse(TimeStampedModel):
    """The pulse campaign sent after one review or complaint; unique, so it is sent once."""

    source_type = models.CharField(max_length=10, choices=PulseSource)
    source_id = models.PositiveBigIntegerField()
    unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="+")
    campaign = models.OneToOneField(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="pulse"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("pulse")
        verbose_name_plural = _("pulses")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="pulse_once"),
        ]

    def __str__(self) -> str:
        return f"Pulse after {self.get_source_type_display().lower()} #{self.source_id}"


ROLE_TYPE_CHOICES = RoleType.choices
