"""Some records in every app, all in one unit, for tests that call every API operation."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from brm.core.roles import Role
from tests.factories import (
    ActionItemFactory,
    BenefitRecordFactory,
    BusinessUnitFactory,
    ComplaintFactory,
    DemandFactory,
    FeedbackFactory,
    InteractionFactory,
    ServiceFactory,
    ServiceMetricFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    StrategicObjectiveFactory,
    SurveyTemplateFactory,
    UserFactory,
)


def api_records() -> dict[str, int]:
    """Creates a unit with its BRM and leader and one record per collection; returns the id of
    each, keyed by the API collection (`"stakeholders"`), plus the users `"brm"`, `"leader"`
    and `"admin"`."""
    brm = UserFactory.create(username="api-brm", role=Role.BRM)
    admin = UserFactory.create(username="api-admin", role=Role.ADMIN)
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)
    leader = UserFactory.create(username="api-leader", role=Role.LEADER)
    person = StakeholderFactory.create(unit=unit, user=leader, influence=5, interest=5)
    service = ServiceFactory.create(consumers=[unit])
    demand = DemandFactory.create(unit=unit, sponsor=person)
    review = ServiceReviewFactory.create(unit=unit)
    review.services.add(service)
    ids = {
        "units": unit.pk,
        "stakeholders": person.pk,
        "interactions": InteractionFactory.create(unit=unit).pk,
        "action-items": ActionItemFactory.create(
            unit=unit, due_date=timezone.localdate() + timedelta(days=3)
        ).pk,
        "services": service.pk,
        "service-metrics": ServiceMetricFactory.create(service=service).pk,
        "reviews": review.pk,
        "complaints": ComplaintFactory.create(unit=unit, complainant=leader).pk,
        "feedback": FeedbackFactory.create(unit=unit).pk,
        "objectives": StrategicObjectiveFactory.create().pk,
        "demands": demand.pk,
        "benefit-records": BenefitRecordFactory.create(demand__unit=unit).pk,
        "survey-templates": SurveyTemplateFactory.create().pk,
        "health": unit.pk,
    }
    ids["brm"], ids["leader"], ids["admin"] = brm.pk, leader.pk, admin.pk
    return ids
