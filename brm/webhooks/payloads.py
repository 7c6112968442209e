"""The body of a webhook: ``{"type", "timestamp", "data"}`` with the resource as the API shows it.

Each record an event can be about is listed once here with the API serializer and route that
show it, so a webhook and ``GET /api/v1/<resource>/<id>/`` give the same fields. `data` also
carries ``url``, the resource's API address. An event that brings its own `data` (a survey
response, which has no API and must hide an anonymous campaign's answers) is sent as given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import NoReverseMatch, reverse
from rest_framework import serializers

from brm.core.events import Event
from brm.health.api.serializers import HealthSnapshotSerializer
from complaints.api.serializers import ComplaintSerializer
from portfolio.api.serializers.demand import DemandSerializer
from portfolio.models import Demand
from reviews.api.serializers import ServiceReviewSerializer
from stakeholders.api.serializers import ActionItemSerializer


@dataclass(frozen=True)
class Resource:
    """How the API shows one model: its serializer, the route name of its detail URL, the
    attribute that URL takes, and how to load the record with the API's annotations."""

    serializer: type[serializers.BaseSerializer[Any]]
    route: str
    lookup: str = "pk"
    load: Callable[[models.Model], models.Model] | None = None


def _demand(demand: models.Model) -> models.Model:
    # The API's list and detail carry the benefit totals as annotations.
    return Demand.objects.with_benefits().get(pk=demand.pk)


RESOURCES: dict[str, Resource] = {
    "complaints.complaint": Resource(ComplaintSerializer, "complaint-detail"),
    "reviews.servicereview": Resource(ServiceReviewSerializer, "review-detail"),
    "stakeholders.actionitem": Resource(ActionItemSerializer, "action-item-detail"),
    "portfolio.demand": Resource(DemandSerializer, "demand-detail", load=_demand),
    "health.healthsnapshot": Resource(HealthSnapshotSerializer, "health-detail", "unit_id"),
}


def api_url(resource: models.Model) -> str | None:
    """The resource's absolute API address (``SITE_URL``), or None if it has none."""
    entry = RESOURCES.get(resource._meta.label_lower)
    if entry is None:
        return None
    try:
        path = reverse(entry.route, args=[getattr(resource, entry.lookup)])
    except NoReverseMatch:
        return None
    return f"{settings.SITE_URL}{path}"


def resource_data(resource: models.Model) -> dict[str, Any]:
    """The resource as its API detail shows it, plus ``url``; for a model without an API
    entry, only its ``id``. Raises LookupError for a model that is not listed at all."""
    entry = RESOURCES.get(resource._meta.label_lower)
    if entry is None:
        raise LookupError(f"No webhook representation for {resource._meta.label}.")
    instance = entry.load(resource) if entry.load is not None else resource
    data = dict(entry.serializer(instance, context={"request": None}).data)
    url = api_url(resource)
    if url is not None:
        data["url"] = url
    return data


def as_json_value(value: Any) -> Any:
    """`value` as plain JSON types (dates and decimals as the API writes them)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def body(event: Event) -> dict[str, Any]:
    """The webhook body of `event` (Standard Webhooks: type, timestamp, data)."""
    data = dict(event.data) if event.data is not None else resource_data(event.resource)
    when = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"type": event.type, "timestamp": when, "data": as_json_value(data)}


def dumps(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent (compact, UTF-8, keys in stored order)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
