"""API viewsets. Querysets come from `selectors` (scoped by role), filters from `filters`."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from brm.core.roles import writes_all_units
from stakeholders import selectors, services
from stakeholders.api.serializers import (
    ActionItemSerializer,
    ActionTransitionSerializer,
    BusinessUnitSerializer,
    InteractionSerializer,
    StakeholderSerializer,
)
from stakeholders.filters import (
    ActionItemFilterSet,
    BusinessUnitFilterSet,
    InteractionFilterSet,
    StakeholderFilterSet,
)
from stakeholders.models import ActionItem, BusinessUnit, Interaction, Stakeholder


class BusinessUnitViewSet(viewsets.ModelViewSet[BusinessUnit]):
    """Business units. Administrators and integrations create them; a unit's BRMs edit it."""

    serializer_class = BusinessUnitSerializer
    filterset_class = BusinessUnitFilterSet

    def get_queryset(self) -> QuerySet[BusinessUnit]:
        return BusinessUnit.objects.visible_to(self.request.user).select_related("parent")

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        if not writes_all_units(self.request.user):
            raise PermissionDenied("Only administrators and integrations create business units.")
        serializer.save()

    @transaction.atomic
    def perform_update(self, serializer: BaseSerializer[BusinessUnit]) -> None:
        unit = serializer.instance
        if "brm" in serializer.validated_data:
            new_brm = serializer.validated_data.pop("brm")
            if new_brm != unit.brm and not writes_all_units(self.request.user):
                raise PermissionDenied("Only administrators reassign a unit's BRM.")
            services.reassign_brm(unit, new_brm=new_brm, actor=self.request.user)
            unit.refresh_from_db()
        serializer.save()

    def perform_destroy(self, instance):  # type: ignore[no-untyped-def]
        if not writes_all_units(self.request.user):
            raise PermissionDenied("Only administrators delete business units.")
        instance.delete()


class StakeholderViewSet(viewsets.ModelViewSet[Stakeholder]):
    """The stakeholder register. Integrations sync it from HR/CRM using `external_id`."""

    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilterSet

    def get_queryset(self) -> QuerySet[Stakeholder]:
        # Moving someone to another unit needs write access to both: the object permission
        # checks the old unit, `WritableUnitField` the new one.
        return selectors.stakeholder_list(self.request.user)


class InteractionViewSet(viewsets.ModelViewSet[Interaction]):
    """Meetings and contacts. `notes` are private to IT and omitted for business users."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet

    def get_queryset(self) -> QuerySet[Interaction]:
        return selectors.interaction_list(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Interaction]) -> None:
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", [])
        participants = data.pop("it_participants", [])
        unit = data.pop("unit")
        serializer.instance = services.log_interaction(
            unit,
            actor=self.request.user,
            fields=data,
            attendees=attendees,
            it_participants=participants,
        )


class ActionItemViewSet(viewsets.ModelViewSet[ActionItem]):
    """Commitments ("promises IT made", and the business's). Status changes via `transition`."""

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilterSet

    def get_queryset(self) -> QuerySet[ActionItem]:
        return selectors.action_item_list(self.request.user)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.save(created_by=self.request.user)

    @extend_schema(request=ActionTransitionSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Complete, drop (with a reason) or reopen a commitment. 409 if it is not possible now."""
        item = self.get_object()
        params = ActionTransitionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        operation = params.validated_data["action"]
        if operation == "complete":
            services.complete_action_item(item, actor=request.user)
        elif operation == "drop":
            services.drop_action_item(
                item, actor=request.user, reason=params.validated_data["reason"]
            )
        else:
            services.reopen_action_item(item, actor=request.user)
        return Response(self.get_serializer(item).data)


__all__ = [
    "ActionItemViewSet",
    "BusinessUnitViewSet",
    "InteractionViewSet",
    "StakeholderViewSet",
]
