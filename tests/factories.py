"""factory_boy factories for every model, plus helpers that give users their roles."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from brm.roles import GROUP_NAMES, Role
from stakeholders.models import (
    ActionItem,
    BusinessUnit,
    Interaction,
    InteractionKind,
    OwnerSide,
    Stakeholder,
)

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
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
    def role(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            add_role(self, extracted)


def add_role(user, role: Role):  # type: ignore[no-untyped-def]
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    else:
        user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[role])[0])
    return user


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit

    name = factory.Sequence(lambda n: f"Unit {n}")
    code = factory.Sequence(lambda n: f"u{n}")
    review_cadence_days = 90


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    unit = factory.SubFactory(BusinessUnitFactory)
    name = factory.Faker("name")
    job_title = factory.Faker("job")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    influence = 3
    interest = 3


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    unit = factory.SubFactory(BusinessUnitFactory)
    kind = InteractionKind.FORMAL_MEETING
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    summary = factory.Sequence(lambda n: f"Meeting {n}")
    sentiment = 0


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    unit = factory.SubFactory(BusinessUnitFactory)
    title = factory.Sequence(lambda n: f"Promise {n}")
    owner_side = OwnerSide.IT
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
