"""The stakeholder register: business units, their people, every contact, and IT's promises."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brm.core.links import detail_url
from brm.core.models import UnitScopedModel, UnitScopedQuerySet, VersionedModel
from brm.core.models.fields import NullableUniqueCharField
from brm.core.search import SearchDocument
from brm.core.validators import single_line

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from brm.core.roles import AnyUser


# --- Business units ---------------------------------------------------------------------------


class BusinessUnitQuerySet(UnitScopedQuerySet["BusinessUnit"]):
    unit_path = ""


# What the global search reads of each model (`brm.core.search`), in a GIN index on PostgreSQL.
UNIT_SEARCH = SearchDocument("unit_search", ("name", "code", "description"))
STAKEHOLDER_SEARCH = SearchDocument("stakeholder_search", ("name", "job_title", "email"))
# The notes are private to IT: the selector leaves them out for everyone else.
INTERACTION_SEARCH = SearchDocument("interaction_search", ("summary", "notes"))


def managed_by(user: Any, prefix: str = "") -> Q:
    """The units `user` (a user or their id) looks after: as their relationship manager or
    deputy. `prefix` reaches the unit from another model ("unit__"). A BRM's "mine" on every
    list, their My relationships and their review banner all filter by this."""
    return Q(**{f"{prefix}brm": user}) | Q(**{f"{prefix}deputy": user})


class BusinessUnit(VersionedModel, UnitScopedModel):
    """A customer organisation or department, with the IT people answerable for the relationship.

    ISO/IEC 20000-1 asks for a named person responsible for each customer relationship: that is
    `brm`, with a `deputy` so the relationship never depends on one person alone.
    """

    name = models.CharField(max_length=120, unique=True, validators=[single_line])
    code = models.SlugField(max_length=30, unique=True, help_text=_("Short code, e.g. 'FIN'."))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True, max_length=2000)
    brm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units_as_brm",
        verbose_name=_("relationship manager"),
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units_as_deputy",
        verbose_name=_("deputy relationship manager"),
    )
    review_cadence_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text=_("How often service reviews are held, in days."),
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()
    objects = BusinessUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        ordering = ["name"]
        indexes = [UNIT_SEARCH.index()]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_cadence_days__gte=7) & Q(review_cadence_days__lte=366),
                name="unit_review_cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("stakeholders:unit_detail", self.pk)

    def get_unit(self) -> BusinessUnit:
        return self

    def clean(self) -> None:
        if self.brm_id and self.brm_id == self.deputy_id:
            raise ValidationError(
                {"deputy": gettext("The deputy must be someone other than the BRM.")}
            )
        # Walk up the tree so a unit can never become its own ancestor.
        seen = {self.pk}
        node = self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": gettext("A unit cannot sit below itself.")})
            seen.add(node.pk)
            node = node.parent


# --- Stakeholders -----------------------------------------------------------------------------


class RoleType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    USER = "user", _("User")
    SPONSOR = "sponsor", _("Sponsor")
    SUPPLIER = "supplier", _("Supplier")
    OTHER = "other", _("Other interested party")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    CHAT = "chat", _("Chat")


SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class StakeholderQuerySet(UnitScopedQuerySet["Stakeholder"]):
    pass


class Stakeholder(VersionedModel, UnitScopedModel):
    """A person in or around a unit, placed on the power/interest map by influence and interest.

    A business leader's login is linked here: that link is what scopes them to their unit.
    """

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="stakeholders")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stakeholder",
        help_text=_("Set for business leaders who log in."),
    )
    name = models.CharField(max_length=120, validators=[single_line])
    job_title = models.CharField(max_length=120, blank=True, validators=[single_line])
    role_type = models.CharField(max_length=20, choices=RoleType, default=RoleType.CUSTOMER)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=SCORE_VALIDATORS, help_text=_("Power over IT decisions, 1-5.")
    )
    interest = models.PositiveSmallIntegerField(
        default=3, validators=SCORE_VALIDATORS, help_text=_("Interest in IT matters, 1-5.")
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_channel = models.CharField(max_length=20, choices=Channel, default=Channel.EMAIL)
    active = models.BooleanField(default=True)
    # Blank is stored as NULL (many records have none; "" would clash on the unique index).
    external_id = NullableUniqueCharField(
        max_length=64,
        unique=True,
        help_text=_("Identifier in the HR or CRM system this record is synced from."),
    )

    history = HistoricalRecords()
    objects = StakeholderQuerySet.as_manager()

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["unit", "name"]),
            models.Index(fields=["influence", "interest"]),
            # A bulk import finds people by email whatever its case (brm.imports.register).
            models.Index(Lower("email"), name="stakeholder_email_lower"),
            STAKEHOLDER_SEARCH.index(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1) & Q(influence__lte=5),
                name="stakeholder_influence_1_5",
            ),
            models.CheckConstraint(
                condition=Q(interest__gte=1) & Q(interest__lte=5), name="stakeholder_interest_1_5"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("stakeholders:stakeholder_detail", self.pk)

    @property
    def quadrant(self) -> str:
        """Mendelow's quadrant: how closely this person should be engaged, named in the active
        language ("Manage closely", "Gestionar de cerca"). A label to show, never a key: code
        that branches on the quadrant uses `stakeholders.selectors.GridCell.quadrant` or
        `brm.health.components._quadrant` ("manage", "satisfy", "inform", "monitor")."""
        high_power, high_interest = self.influence >= 4, self.interest >= 4
        if high_power and high_interest:
            return gettext("Manage closely")
        if high_power:
            return gettext("Keep satisfied")
        if high_interest:
            return gettext("Keep informed")
        return gettext("Monitor")


# --- Interactions -----------------------------------------------------------------------------


class InteractionKind(models.TextChoices):
    FORMAL_MEETING = "formal_meeting", _("Formal meeting")
    INFORMAL = "informal", _("Informal conversation")
    CALL = "call", _("Call")
    WORKSHOP = "workshop", _("Workshop")
    EMAIL = "email", _("Email")


class Sentiment(models.IntegerChoices):
    VERY_NEGATIVE = -2, _("Very negative")
    NEGATIVE = -1, _("Negative")
    NEUTRAL = 0, _("Neutral")
    POSITIVE = 1, _("Positive")
    VERY_POSITIVE = 2, _("Very positive")


class InteractionQuerySet(UnitScopedQuerySet["Interaction"]):
    pass


class Interaction(VersionedModel, UnitScopedModel):
    """A logged contact with a unit. `notes` are the BRM's private notes: IT-side eyes only."""

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    summary = models.CharField(max_length=300)
    notes = models.TextField(blank=True, max_length=10000, help_text=_("Private to IT."))
    sentiment = models.SmallIntegerField(choices=Sentiment, default=Sentiment.NEUTRAL)
    attendees = models.ManyToManyField(Stakeholder, blank=True, related_name="interactions")
    it_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="interactions"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["unit", "-occurred_at"]), INTERACTION_SEARCH.index()]
        constraints = [
            models.CheckConstraint(
                condition=Q(sentiment__gte=-2) & Q(sentiment__lte=2),
                name="interaction_sentiment_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.unit}: {self.summary}"


# --- Commitments ------------------------------------------------------------------------------


class OwnerSide(models.TextChoices):
    IT = "it", _("IT")
    BUSINESS = "business", _("Business")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


# What became of a promise (`ActionItem.outcome`): the keys are codes (filters, badges' tones,
# the promises-kept measure); the labels are shown in the reader's language. A context of their
# own: Spanish agrees them with "compromiso" (masculine, singular), unlike other "Open"s.
OUTCOME_LABELS: dict[str, StrOrPromise] = {
    "open": pgettext_lazy("commitment outcome", "Open"),
    "overdue": pgettext_lazy("commitment outcome", "Overdue"),
    "on_time": pgettext_lazy("commitment outcome", "Done on time"),
    "late": pgettext_lazy("commitment outcome", "Done late"),
    "dropped": pgettext_lazy("commitment outcome", "Dropped"),
}


# --- The promise rules -------------------------------------------------------------------------
# Each rule is written once, as a condition over an ActionItem (`prefix` reaches it through a
# relation, e.g. "action_items__" from a unit). The queryset methods, the per-unit counts, the
# list filter, the unit list, the dashboard and the health engine all build on these, so a
# figure and the list it links to always count the same promises.


def open_condition(prefix: str = "") -> Q:
    """Still to be delivered: neither done nor dropped."""
    return Q(**{f"{prefix}status": ActionStatus.OPEN})


def overdue_condition(today: date, prefix: str = "") -> Q:
    """Open and its due date has passed. A promise due today is not overdue until tomorrow."""
    return Q(**{f"{prefix}status": ActionStatus.OPEN, f"{prefix}due_date__lt": today})


def done_condition(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": ActionStatus.DONE})


def kept_on_time_condition(prefix: str = "") -> Q:
    """Done on or before its due date (the local date it was completed counts)."""
    return Q(
        **{
            f"{prefix}status": ActionStatus.DONE,
            f"{prefix}completed_at__date__lte": F(f"{prefix}due_date"),
        }
    )


def done_late_condition(prefix: str = "") -> Q:
    """Done, but after its due date."""
    return Q(
        **{
            f"{prefix}status": ActionStatus.DONE,
            f"{prefix}completed_at__date__gt": F(f"{prefix}due_date"),
        }
    )


def dropped_condition(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": ActionStatus.DROPPED})


def done_after_condition(today: date, prefix: str = "") -> Q:
    """Done after `today`: on `today` it was still open (a past date's outcome, history)."""
    return Q(**{f"{prefix}status": ActionStatus.DONE, f"{prefix}completed_at__date__gt": today})


def outcome_condition(outcome: str, today: date, prefix: str = "") -> Q:
    """The condition of one `OUTCOME_LABELS` key as it stood on `today`; "open" means open and
    not yet overdue. A promise done after `today` counts as open (or overdue) on `today`, so a
    past date's figures are as they stood then; for the present nothing is done in the future
    and this is the plain status rule. When a promise was dropped is not recorded: dropped
    counts as dropped on any date."""
    done_later = done_after_condition(today, prefix)
    due_before = Q(**{f"{prefix}due_date__lt": today})
    if outcome == "overdue":
        return overdue_condition(today, prefix) | (done_later & due_before)
    if outcome == "open":
        return (open_condition(prefix) & ~overdue_condition(today, prefix)) | (
            done_later & ~due_before
        )
    done_by_then = Q(**{f"{prefix}completed_at__date__lte": today})
    if outcome == "on_time":
        return kept_on_time_condition(prefix) & done_by_then
    if outcome == "late":
        return done_late_condition(prefix) & done_by_then
    if outcome == "dropped":
        return dropped_condition(prefix)
    raise ValueError(f"Unknown promise outcome {outcome!r}")


def promise_count_aggregates(today: date, prefix: str = "") -> dict[str, Count]:
    """`due` (all), `on_time`, `late`, `dropped`, `overdue` and `open` (open, not yet overdue):
    Count expressions for `.aggregate()` or a GROUP BY `.annotate()`; they add up to `due`."""
    pk = f"{prefix}id"
    return {
        "due": Count(pk),
        **{key: Count(pk, filter=outcome_condition(key, today, prefix)) for key in OUTCOMES},
    }


OUTCOMES = ("on_time", "late", "dropped", "overdue", "open")


class ActionItemQuerySet(UnitScopedQuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(open_condition())

    def overdue(self, today: date | None = None) -> ActionItemQuerySet:
        return self.filter(overdue_condition(today or timezone.localdate()))

    def with_outcome(self, outcome: str, today: date | None = None) -> ActionItemQuerySet:
        """Promises with this outcome (`OUTCOME_LABELS` key) as of `today`."""
        return self.filter(outcome_condition(outcome, today or timezone.localdate()))

    def without_outcome(self, outcome: str, today: date | None = None) -> ActionItemQuerySet:
        return self.exclude(outcome_condition(outcome, today or timezone.localdate()))

    def kept_on_time(self) -> ActionItemQuerySet:
        return self.filter(kept_on_time_condition())

    def due_between(self, since: date, until: date) -> ActionItemQuerySet:
        """Due on `since`, `until` or a day between (both inclusive, like the list's
        `due_after`/`due_before` filters)."""
        return self.filter(due_date__gte=since, due_date__lte=until)

    def owed_by_it(self) -> ActionItemQuerySet:
        return self.filter(owner_side=OwnerSide.IT)

    def promise_counts(self, since: date, until: date, today: date | None = None) -> dict[str, int]:
        """How the promises due between `since` and `until` (inclusive) turned out as of `today`
        (one query): keys of `promise_count_aggregates`."""
        today = today or timezone.localdate()
        return self.due_between(since, until).aggregate(**promise_count_aggregates(today))

    def promise_counts_by_unit(
        self, since: date, until: date, today: date | None = None
    ) -> dict[int, dict[str, int]]:
        """`promise_counts` per unit id (one GROUP BY query); units with none are missing."""
        today = today or timezone.localdate()
        # unit_id plus one integer per aggregate (the plugin cannot see the ** names).
        rows = cast(
            "QuerySet[ActionItem, dict[str, int]]",
            self.due_between(since, until)
            .order_by()
            .values("unit_id")
            .annotate(**promise_count_aggregates(today)),
        )
        return {r.pop("unit_id"): r for r in rows}

    def for_user(self, user: AnyUser) -> ActionItemQuerySet:
        """What this person must deliver: IT items they own, or business items they own."""
        return self.filter(Q(owner=user) | Q(owner_stakeholder__user=user))


class ActionItem(VersionedModel, UnitScopedModel):
    """A commitment: who promised what to whom, by when, and from which meeting.

    The register knows no workflow: a service review or an improvement plan that made the
    promise links to it from its own app (`reviews.ReviewCommitment`, `health.PlanCommitment`).

    "Promises kept" is measured from these; whether an item was done late is derived from
    `completed_at` and `due_date`, never stored.
    """

    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="action_items")
    title = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(blank=True, max_length=5000)
    owner_side = models.CharField(max_length=10, choices=OwnerSide, default=OwnerSide.IT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text=_("The IT person who delivers it."),
    )
    owner_stakeholder = models.ForeignKey(
        Stakeholder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text=_("The business person who delivers it."),
    )
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=ActionStatus, default=ActionStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    interaction = models.ForeignKey(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text=_("The meeting where this was promised."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["unit", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False),
                name="action_done_has_completed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return detail_url("stakeholders:action_detail", self.pk)

    @property
    def owner_name(self) -> str:
        person = self.owner if self.owner_side == OwnerSide.IT else self.owner_stakeholder
        if person is None:
            return "IT" if self.owner_side == OwnerSide.IT else "Business"
        return (
            str(person.get_full_name() or person)
            if hasattr(person, "get_full_name")
            else str(person)
        )

    @property
    def is_overdue(self) -> bool:
        """`overdue_condition` for a promise already loaded."""
        return self.status == ActionStatus.OPEN and self.due_date < timezone.localdate()

    @property
    def days_overdue(self) -> int:
        return (timezone.localdate() - self.due_date).days if self.is_overdue else 0

    @property
    def done_late(self) -> bool:
        """`done_late_condition` for a promise already loaded."""
        return (
            self.status == ActionStatus.DONE
            and self.completed_at is not None
            and timezone.localdate(self.completed_at) > self.due_date
        )

    @property
    def outcome(self) -> str:
        """One word for lists and the promises-kept measure."""
        if self.status == ActionStatus.DONE:
            return "late" if self.done_late else "on_time"
        if self.status == ActionStatus.DROPPED:
            return "dropped"
        return "overdue" if self.is_overdue else "open"

    @property
    def outcome_label(self) -> str:
        """`outcome` in the active language ("Done late", "Cumplido tarde")."""
        return str(OUTCOME_LABELS[self.outcome])

    def clean(self) -> None:
        errors = {}
        if self.owner_side == OwnerSide.BUSINESS and self.owner_id:
            errors["owner"] = _("A business-side commitment is owned by a stakeholder, not IT.")
        if self.owner_side == OwnerSide.IT and self.owner_stakeholder_id:
            errors["owner_stakeholder"] = _("An IT commitment is owned by an IT person.")
        if (
            self.owner_stakeholder is not None
            and self.unit_id
            and self.owner_stakeholder.unit_id != self.unit_id
        ):
            errors["owner_stakeholder"] = _("The owner must belong to the same business unit.")
        if errors:
            raise ValidationError(errors)


# --- Handovers --------------------------------------------------------------------------------


class Handover(UnitScopedModel):
    """A change of relationship manager. The history stays with the unit, not the person.

    `pack_sent_at` records when the handover pack email went out (written by the kernel's
    delivery path once the mail server accepted it; the email is a `core.OutboundEmail`).
    """

    unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="handovers")
    from_brm = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_brm = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pack_sent_at = models.DateTimeField(null=True, blank=True)

    objects = UnitScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.unit}: {self.from_brm or 'nobody'} -> {self.to_brm or 'nobody'}"
