"""Every list pages stably: walking all pages returns every row exactly once, whatever the sort.

For every API list endpoint and every `ordering=` field it offers (both directions, and the
default order), rows are made to tie on the sort value, then the pages are walked two rows at a
time. Without a unique tie-breaker PostgreSQL may return tied rows in a different order for each
OFFSET, repeating one row and skipping another.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils import timezone
from rest_framework.test import APIClient

import brm.urls  # noqa: F401  # registers every app's viewsets on the router
from brm.core.api import router
from brm.core.ordering import StableOrderingFilter, stable_order
from brm.health.models import HealthSnapshot
from brm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from reviews.models import ChangeRequest
from satisfaction.models import Campaign, CampaignStatus
from stakeholders.models import BusinessUnit, Stakeholder
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
)

N = 7  # rows per list; pages of 2 -> 4 pages


def _orderings(viewset: Any) -> list[tuple[str, str]]:
    fs = getattr(viewset, "filterset_class", None)
    flt = fs.base_filters.get("ordering") if fs else None
    params = list(flt.param_map) if flt is not None else []
    # `param_map` is {query parameter: model field path}.
    return [(p, flt.param_map[p]) for p in params] if flt is not None else []


CASES = [
    pytest.param(prefix, param, path, id=f"{prefix}:{param or 'default'}")
    for prefix, viewset, _ in router.registry
    if hasattr(viewset, "list")  # a job resource (imports) is read one at a time, never listed
    for param, path in [("", ""), *_orderings(viewset)]
]


@pytest.fixture
def many_rows(unit_a, brm, django_db_blocker: Any) -> None:
    """N rows in every list, all created "at the same moment" (ties on created_at/updated_at)."""
    template = SurveyTemplateFactory.create()
    for i in range(N):
        StakeholderFactory.create(unit=unit_a)
        InteractionFactory.create(unit=unit_a)
        ActionItemFactory.create(unit=unit_a)
        ComplaintFactory.create(unit=unit_a)
        FeedbackFactory.create()
        ServiceFactory.create(consumers=[unit_a])
        ServiceMetricFactory.create()
        StrategicObjectiveFactory.create()
        DemandFactory.create(unit=unit_a)
        BenefitRecordFactory.create(demand__unit=unit_a)
        review = ServiceReviewFactory.create(unit=unit_a)
        ChangeRequest.objects.create(review=review, title=f"Change {i}")
        SurveyTemplateFactory.create()
        Campaign.objects.create(
            template=template, name=f"Run {i}", owner=brm, status=CampaignStatus.CLOSED
        )
        unit = BusinessUnitFactory.create(brm=brm)
        HealthSnapshot.objects.create(unit=unit, as_of=timezone.localdate(), score=50.0)
        hook = WebhookSubscription.objects.create(
            url=f"https://hooks.example.com/{i}", event_types=["complaint.filed"], secret="whsec_x"
        )
        delivery = WebhookDelivery.objects.create(
            subscription=hook, event_type="complaint.filed", payload={"type": "complaint.filed"}
        )
        WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now())
    HealthSnapshot.objects.create(unit=unit_a, as_of=timezone.localdate(), score=50.0)
    moment = timezone.now() - timedelta(hours=1)
    for model in _models():
        fields = {f.name for f in model._meta.concrete_fields}
        stamps = {k: moment for k in ("created_at", "updated_at") if k in fields}
        if stamps:
            model._default_manager.update(**stamps)


def _models() -> list[type[Model]]:
    return [_model_of(vs) for _, vs, _ in router.registry]


def _model_of(viewset: Any) -> type[Model]:
    queryset = getattr(viewset, "queryset", None)
    if queryset is not None:
        model: type[Model] = queryset.model
        return model
    fs = getattr(viewset, "filterset_class", None)
    if fs is not None:
        return cast("type[Model]", fs._meta.model)
    return Campaign


# Columns that must move with the sort column (a check constraint ties them together).
_PAIRED = {"period_start": ("period_end",)}


def _tie(model: type[Model], path: str) -> None:
    """Give every row the same value of a local, non-unique sort column."""
    if not path or "__" in path:
        return  # related paths (unit__name) tie already: all rows are in few units
    try:
        field = model._meta.get_field(path)
    except FieldDoesNotExist:
        return  # an annotation
    if getattr(field, "unique", False) or not getattr(field, "concrete", False):
        return
    first = model._default_manager.order_by("pk").values(path, *_PAIRED.get(path, ())).first()
    if first is not None:
        model._default_manager.update(**first)


def _key(row: dict[str, Any]) -> str:
    for name in ("id", "campaign", "unit"):
        if name in row:
            return json.dumps(row[name], sort_keys=True, default=str)
    return json.dumps(row, sort_keys=True, default=str)


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "param", "path"), CASES)
def test_walking_all_pages_returns_every_row_once(
    prefix: str, param: str, path: str, many_rows: None, admin_user: Any
) -> None:
    viewset = next(vs for p, vs, _ in router.registry if p == prefix)
    _tie(_model_of(viewset), path)
    client = APIClient()
    client.force_authenticate(admin_user)
    for ordering in [param, f"-{param}"] if param else [""]:
        query = f"?page_size=2&ordering={ordering}" if ordering else "?page_size=2"
        url: str | None = f"/api/v1/{prefix}/{query}"
        seen: list[str] = []
        count = None
        while url:
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])
            body = response.json()
            count = body["count"]
            seen += [_key(row) for row in body["results"]]
            url = body["next"]
        assert count is not None and count >= N, (prefix, count)
        assert len(seen) == count and len(set(seen)) == count, (prefix, ordering, seen)


def test_every_filterset_orders_with_the_stable_filter() -> None:
    for prefix, viewset, _ in router.registry:
        fs = getattr(viewset, "filterset_class", None)
        flt = fs.base_filters.get("ordering") if fs else None
        if flt is not None:
            assert isinstance(flt, StableOrderingFilter), prefix


@pytest.mark.django_db
def test_stable_order_appends_the_key_only_when_no_unique_column_is_sorted() -> None:
    assert stable_order(BusinessUnit.objects.order_by("-created_at")).query.order_by == (
        "-created_at",
        "-pk",
    )
    assert stable_order(BusinessUnit.objects.order_by("name", "pk")).query.order_by == (
        "name",
        "pk",
    )
    # Meta.ordering ["-as_of", "unit"] is kept and completed.
    assert stable_order(HealthSnapshot.objects.all()).query.order_by == ("-as_of", "unit", "-pk")
    # A unit's name is unique: nothing to add.
    assert stable_order(BusinessUnit.objects.order_by("name")).query.order_by == ("name",)
    # Stakeholder's Meta.ordering already ends with pk.
    assert stable_order(Stakeholder.objects.all()).query.order_by == ()
    rows = [3, 1]
    assert stable_order(rows) is rows


@pytest.mark.django_db
def test_html_list_pages_are_stable_too(client: Any, brm: Any, unit_a: Any) -> None:
    for _ in range(N):
        StakeholderFactory.create(unit=unit_a, name="Same Name")
    client.force_login(brm)
    seen: list[int] = []
    for page in range(1, 5):
        response = client.get(f"/stakeholders/?page_size=2&page={page}")
        assert response.status_code == 200
        seen += [s.pk for s in response.context["page"].object_list]
    assert sorted(seen) == sorted(Stakeholder.objects.values_list("pk", flat=True))
