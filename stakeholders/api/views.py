"""API viewsets. Querysets come from `selectors` (scoped by role), filters from `filters`."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from brm.core.api_versions import VersionedViewSetMixin
from brm.core.attachments.api import AttachmentActionsMixin
from stakeholders import selectors, services
from stakeholders.api.serializers import (
    ActionItemSerializer,
    ActionTransitionSerializer,
    BusinessUnitSerializer,
    InteractionSerializer,
    StakeholderSerializer,
)
from stakeholders.files import MEETING_FILES
from stakeholders.filters import (
    ActionItemFilterSet,
    BusinessUnitFilterSet,
    InteractionFilterSet,
    StakeholderFilterSet,
)
from stakeholders.models import ActionItem, BusinessUnit, Interaction, OwnerSide, Stakeholder


class BusinessUnitViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[BusinessUnit]):
    """Business units. Administrators and integrations create them; a unit's BRMs edit it."""

    serializer_class = BusinessUnitSerializer
    filterset_class = BusinessUnitFilterSet

    def get_queryset(self) -> QuerySet[BusinessUnit]:
        return BusinessUnit.objects.visible_to(self.request.user).select_related("parent")

    # Who may create, change, hand over or delete a unit is decided by the services
    # (`stakeholders.permissions`); a refusal is a ForbiddenAction, answered 403.

    def perform_create(self, serializer: BaseSerializer[BusinessUnit]) -> None:
        serializer.instance = services.save_unit(
            BusinessUnit(**serializer.validated_data), actor=self.request.user
        )

    @transaction.atomic
    def perform_update(self, serializer: BaseSerializer[BusinessUnit]) -> None:
        unit = serializer.instance
        assert unit is not None  # an update always has its instance
        data = dict(serializer.validated_data)
        new_brm = data.pop("brm", unit.brm)
        if new_brm != unit.brm:
            # A new BRM is a handover: recorded, and the pack sent (administrators only).
            services.reassign_brm(unit, new_brm=new_brm, actor=self.request.user)
            unit.refresh_from_db()
        for name, value in data.items():
            setattr(unit, name, value)
        services.save_unit(unit, actor=self.request.user)

    def perform_destroy(self, instance: BusinessUnit) -> None:
        services.delete_unit(instance, actor=self.request.user)


class StakeholderViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[Stakeholder]):
    """The stakeholder register. Integrations sync it from HR/CRM using `external_id`."""

    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilterSet

    def get_queryset(self) -> QuerySet[Stakeholder]:
        # Moving someone to another unit needs write access to both: the object permission
        # checks the old unit, `WritableUnitField` the new one.
        return selectors.stakeholder_list(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Stakeholder]) -> None:
        serializer.instance = services.save_stakeholder(
            Stakeholder(**serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer: BaseSerializer[Stakeholder]) -> None:
        person = serializer.instance
        assert person is not None  # an update always has its instance
        for name, value in serializer.validated_data.items():
            setattr(person, name, value)
        services.save_stakeholder(person, actor=self.request.user)

    def perform_destroy(self, instance: Stakeholder) -> None:
        services.delete_record(instance, actor=self.request.user)


class InteractionViewSet(
    VersionedViewSetMixin, AttachmentActionsMixin, viewsets.ModelViewSet[Interaction]
):
    """Meetings and contacts. `notes` are private to IT and omitted for business users."""

    serializer_class = InteractionSerializer
    attachment_target = MEETING_FILES
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

    def perform_update(self, serializer: BaseSerializer[Interaction]) -> None:
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", None)
        participants = data.pop("it_participants", None)
        meeting = serializer.instance
        assert meeting is not None  # an update always has its instance
        services.update_interaction(
            meeting,
            actor=self.request.user,
            fields=data,
            attendees=attendees,
            it_participants=participants,
        )

    def perform_destroy(self, instance: Interaction) -> None:
        services.delete_record(instance, actor=self.request.user)


class ActionItemViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[ActionItem]):
    """Commitments ("promises IT made", and the business's). Status changes via `transition`."""

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilterSet

    def get_queryset(self) -> QuerySet[ActionItem]:
        return selectors.action_item_list(self.request.user)

    def perform_create(self, serializer: BaseSerializer[ActionItem]) -> None:
        data = serializer.validated_data
        serializer.instance = services.make_commitment(
            data["unit"],
            services.CommitmentInput(
                title=data["title"],
                due_date=data["due_date"],
                owner_side=data.get("owner_side", OwnerSide.IT),
                owner=data.get("owner"),
                owner_stakeholder=data.get("owner_stakeholder"),
                description=data.get("description", ""),
            ),
            actor=self.request.user,
            interaction=data.get("interaction"),
        )

    def perform_update(self, serializer: BaseSerializer[ActionItem]) -> None:
        item = serializer.instance
        assert item is not None  # an update always has its instance
        for name, value in serializer.validated_data.items():
            setattr(item, name, value)
        services.update_commitment(item, actor=self.request.user)

    def perform_destroy(self, instance: ActionItem) -> None:
        services.delete_record(instance, actor=self.request.user)

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
