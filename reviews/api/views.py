"""API viewsets of service reviews. Querysets come from `selectors`, filters from `filters`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from brm.core.api_versions import VersionedViewSetMixin
from brm.core.attachments.api import AttachmentActionsMixin
from reviews import selectors, services
from reviews.api.serializers import (
    ChangeRequestSerializer,
    DecideSerializer,
    HoldSerializer,
    ServiceReviewSerializer,
)
from reviews.files import REVIEW_FILES
from reviews.filters import ChangeRequestFilterSet, ServiceReviewFilterSet
from reviews.ics import review_ics, review_recipients
from reviews.models import ChangeRequest, ServiceReview

REVIEW_SCALARS = (
    "scheduled_at",
    "duration_minutes",
    "location",
    "agenda",
    "minutes",
    "outcome",
    "period_start",
    "period_end",
)


class ServiceReviewViewSet(
    VersionedViewSetMixin, AttachmentActionsMixin, viewsets.ModelViewSet[ServiceReview]
):
    """Service reviews. `hold/` freezes the pack and plans the next; `ics/` is the invitation."""

    serializer_class = ServiceReviewSerializer
    attachment_target = REVIEW_FILES
    filterset_class = ServiceReviewFilterSet

    def get_queryset(self) -> QuerySet[ServiceReview]:
        # A list needs none of the page's columns (unit, BRM, counts): the API sends none.
        # The actions on one review keep them (their services read the unit).
        user = self.request.user
        rows = selectors.review_rows(user) if self.action == "list" else selectors.review_list(user)
        return rows.prefetch_related("attendees", "it_attendees", "action_items")

    def perform_create(self, serializer: BaseSerializer[ServiceReview]) -> None:
        data = dict(serializer.validated_data)
        unit = data.pop("unit")
        serializer.instance = services.plan_review(
            unit,
            actor=self.request.user,
            scheduled_at=data.pop("scheduled_at"),
            services=data.pop("services", None) or None,
            attendees=data.pop("attendees", []),
            it_attendees=data.pop("it_attendees", []),
            **{k: v for k, v in data.items() if k in REVIEW_SCALARS},
        )

    def perform_update(self, serializer: BaseSerializer[ServiceReview]) -> None:
        data = dict(serializer.validated_data)
        data.pop("unit", None)
        assert serializer.instance is not None  # an update always has its instance
        serializer.instance = services.update_review(
            serializer.instance,
            actor=self.request.user,
            fields={k: v for k, v in data.items() if k in REVIEW_SCALARS},
            services=data.get("services"),
            attendees=data.get("attendees"),
            it_attendees=data.get("it_attendees"),
        )

    def perform_destroy(self, instance: ServiceReview) -> None:
        raise PermissionDenied(gettext("Reviews are cancelled, not deleted: POST to cancel/."))

    @extend_schema(request=HoldSerializer, responses=ServiceReviewSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        """Mark held: freeze the performance pack and plan the next review. 409 if not planned."""
        review = self.get_object()
        params = HoldSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        review, _ = services.hold_review(review, actor=request.user, **params.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=None, responses=ServiceReviewSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        services.cancel_review(review, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, "iCalendar")}
    )
    @action(detail=True, methods=["get"], url_path="ics")
    def invite(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The review as an iCalendar (.ics) invitation."""
        review = self.get_object()
        response = HttpResponse(
            review_ics(review, attendees=review_recipients(review)),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="service-review-{review.pk}.ics"'
        return response


class ChangeRequestViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[ChangeRequest]):
    """Changes to scope or contract raised at a review. Decisions via `decide/`."""

    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilterSet

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        return selectors.change_request_list(self.request.user)

    def perform_create(self, serializer: BaseSerializer[ChangeRequest]) -> None:
        data = dict(serializer.validated_data)
        review = data.pop("review")
        serializer.instance = services.raise_change_request(review, actor=self.request.user, **data)

    def perform_update(self, serializer: BaseSerializer[ChangeRequest]) -> None:
        change = serializer.instance
        assert change is not None  # an update always has its instance
        if serializer.validated_data.get("review", change.review) != change.review:
            raise PermissionDenied(
                gettext("A change request stays with the review it was raised at.")
            )
        data = dict(serializer.validated_data)
        data.pop("review", None)
        serializer.instance = services.update_change_request(
            change, actor=self.request.user, fields=data
        )

    @extend_schema(request=DecideSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Accept, reject or mark implemented. 409 when the change is already decided that way."""
        change = self.get_object()
        params = DecideSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        change = services.decide_change_request(change, actor=request.user, **params.validated_data)
        return Response(self.get_serializer(change).data)
