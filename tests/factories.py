"""factory_boy factories for every model, plus helpers that give users their roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.models import User as AuthUser
from django.utils import timezone

from brm.core.models import UserPreference
from brm.core.roles import GROUP_NAMES, Role
from complaints.models import Complaint, Feedback
from portfolio.models import BenefitRecord, Demand, StrategicObjective
from satisfaction.models import SurveyTemplate
from stakeholders.models import (
    ActionItem,
    BusinessUnit,
    Interaction,
    InteractionKind,
    OwnerSide,
    Stakeholder,
)

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory[AuthUser]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pass-1234")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            add_role(self, extracted)


def add_role(user, role: Role):
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    else:
        user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[role])[0])
    return user


class BusinessUnitFactory(factory.django.DjangoModelFactory[BusinessUnit]):
    class Meta:
        model = BusinessUnit

    name = factory.Sequence(lambda n: f"Unit {n}")
    code = factory.Sequence(lambda n: f"u{n}")
    review_cadence_days = 90


class StakeholderFactory(factory.django.DjangoModelFactory[Stakeholder]):
    class Meta:
        model = Stakeholder

    unit = factory.SubFactory(BusinessUnitFactory)
    name = factory.Faker("name")
    job_title = factory.Faker("job")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    influence = 3
    interest = 3


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    unit = factory.SubFactory(BusinessUnitFactory)
    kind = InteractionKind.FORMAL_MEETING
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    summary = factory.Sequence(lambda n: f"Meeting {n}")
    sentiment = 0


class ActionItemFactory(factory.django.DjangoModelFactory[ActionItem]):
    class Meta:
        model = ActionItem

    unit = factory.SubFactory(BusinessUnitFactory)
    title = factory.Sequence(lambda n: f"Promise {n}")
    owner_side = OwnerSide.IT
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


# --- Service portfolio and reviews --------------------------------------------------------------

from decimal import Decimal  # noqa: E402

from portfolio.models import Service, ServiceMetric  # noqa: E402
from reviews.models import ServiceReview  # noqa: E402


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    availability_target = Decimal("99.5")

    @factory.post_generation
    def consumers(self, create, extracted, **kwargs):
        if create and extracted:
            self.consumers.set(extracted)


class ServiceMetricFactory(factory.django.DjangoModelFactory[ServiceMetric]):
    class Meta:
        model = ServiceMetric

    service = factory.SubFactory(ServiceFactory)
    period_start = factory.Sequence(
        lambda n: timezone.localdate().replace(day=1) - timedelta(days=31 * (n + 1))
    )
    period_end = factory.LazyAttribute(lambda m: m.period_start + timedelta(days=27))
    availability = Decimal("99.9")
    incidents = 1
    major_incidents = 0


class ServiceReviewFactory(factory.django.DjangoModelFactory[ServiceReview]):
    class Meta:
        model = ServiceReview

    unit = factory.SubFactory(BusinessUnitFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    period_start = factory.LazyAttribute(
        lambda r: timezone.localdate(r.scheduled_at) - timedelta(days=90)
    )
    period_end = factory.LazyAttribute(
        lambda r: timezone.localdate(r.scheduled_at) - timedelta(days=1)
    )


# --- Complaints -------------------------------------------------------------------------------
# Model paths as strings: the complaints app's imports stay out of this module's header, which
# other apps' factories share.

_ACK_HOURS = {"low": 24, "medium": 8, "high": 4, "critical": 1}
_RESOLVE_HOURS = {"low": 240, "medium": 120, "high": 48, "critical": 8}


class ComplaintFactory(factory.django.DjangoModelFactory[Complaint]):
    """A complaint as `file_complaint` leaves it, without its timeline or notifications.

    Tests about filing use the service; this is for lists, reports and scope.
    """

    class Meta:
        model = "complaints.Complaint"
        skip_postgeneration_save = True

    unit = factory.SubFactory(BusinessUnitFactory)
    title = factory.Sequence(lambda n: f"Complaint {n}")
    description = "The report was late again."
    severity = "medium"
    acknowledge_by = factory.LazyAttribute(
        lambda c: timezone.now() + timedelta(hours=_ACK_HOURS[c.severity])
    )
    resolve_by = factory.LazyAttribute(
        lambda c: timezone.now() + timedelta(hours=_RESOLVE_HOURS[c.severity])
    )

    @factory.post_generation
    def reference(self: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        # factory_boy calls this with the created Complaint as `self`.
        if create:
            self.reference = extracted or f"C-{timezone.now().year}-{self.pk:05d}"
            type(self).objects.filter(pk=self.pk).update(reference=self.reference)


class FeedbackFactory(factory.django.DjangoModelFactory[Feedback]):
    class Meta:
        model = "complaints.Feedback"

    kind = "compliment"
    about_team = "Service desk"
    message = factory.Sequence(lambda n: f"Thank you for the quick fix #{n}.")


# --- Satisfaction surveys ---------------------------------------------------------------------


class SurveyTemplateFactory(factory.django.DjangoModelFactory[SurveyTemplate]):
    """A template with the four kinds of question (CSAT, NPS, per-service rating, free text)."""

    class Meta:
        model = "satisfaction.SurveyTemplate"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Quarterly satisfaction {n}")

    @factory.post_generation
    def questions(self, create, extracted, **kwargs):
        if not create:
            return
        default = ["csat", "nps", "service_rating", "free_text"]
        kinds = extracted if extracted is not None else default
        texts = {
            "csat": "Overall, how satisfied are you with IT?",
            "nps": "How likely are you to recommend IT to a colleague?",
            "service_rating": "How do you rate each service you use?",
            "free_text": "What should IT do differently?",
        }
        for i, kind in enumerate(kinds):
            self.questions.create(
                kind=kind, text=texts[kind], position=i, required=kind in {"csat", "nps"}
            )


# --- Demand portfolio -------------------------------------------------------------------------


class StrategicObjectiveFactory(factory.django.DjangoModelFactory[StrategicObjective]):
    class Meta:
        model = "portfolio.StrategicObjective"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Objective {n}")


class DemandFactory(factory.django.DjangoModelFactory[Demand]):
    """A demand written directly (status and score set as given; the workflow is not run)."""

    class Meta:
        model = "portfolio.Demand"

    unit = factory.SubFactory(BusinessUnitFactory)
    brm = factory.LazyAttribute(lambda d: d.unit.brm)
    title = factory.Sequence(lambda n: f"Idea {n}")
    problem = "Month-end takes too long."
    outcome = "Close the books in two days."


class BenefitRecordFactory(factory.django.DjangoModelFactory[BenefitRecord]):
    class Meta:
        model = "portfolio.BenefitRecord"

    demand = factory.SubFactory(DemandFactory, status="delivered")
    period_start = factory.Sequence(
        lambda n: timezone.localdate().replace(day=1) - timedelta(days=31 * (n + 1))
    )
    period_end = factory.LazyAttribute(lambda r: r.period_start + timedelta(days=30))
    planned_amount = 1000
    realised_amount = 800


def choose_language(user: AuthUser, language: str) -> None:
    """Save `language` ("es", "en-gb") as `user`'s choice on their profile, as the profile page
    does: their pages, emails and notifications then speak it (issue 17)."""
    preference = UserPreference.for_user(user)
    preference.language = language
    preference.save()
