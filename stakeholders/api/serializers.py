"""API shapes of the stakeholder register. Related objects are ids; writes go through services."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from brm.core.models import UnitScopedQuerySet
from brm.core.roles import is_it_side
from stakeholders.models import (
    ActionItem,
    ActionStatus,
    BusinessUnit,
    Interaction,
    OwnerSide,
    Stakeholder,
)
from stakeholders.permissions import (
    ANALYSIS_FIELDS,
    SENTIMENT_FIELDS,
    may_edit_unit,
    may_see_analysis,
)

User = get_user_model()


class ScopedPrimaryKeyRelatedField(IntegerPrimaryKeyRelatedField):
    """A related id the caller may see; others are "invalid pk" (400), confirming nothing."""

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        # Only used with the unit-scoped models, whose querysets have `visible_to`.
        qs = cast("UnitScopedQuerySet[Any]", super().get_queryset())
        return qs.visible_to(request.user) if request else qs.none()


class WritableUnitField(ScopedPrimaryKeyRelatedField):
    """On writes the unit must also be one the caller may change.

    A unit the caller may read but not change is a 403, as for any other write to it: the unit is
    visible to them, so refusing it confirms nothing. Units they cannot see stay "invalid pk".
    """

    not_editable_message = "You may read this business unit but not change its records."

    def to_internal_value(self, data: Any) -> Any:
        unit = super().to_internal_value(data)
        request = self.context.get("request")
        if request and not may_edit_unit(request.user, unit):
            raise PermissionDenied(self.not_editable_message)
        return unit


class BusinessUnitSerializer(ModelSerializer[BusinessUnit]):
    # Declared fields are class attributes; the stubs see this one as `Field.parent`.
    parent = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=BusinessUnit.objects.all(), allow_null=True, required=False
    )
    brm = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    deputy = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )

    class Meta:
        model = BusinessUnit
        fields = [
            "id",
            "name",
            "code",
            "parent",
            "description",
            "brm",
            "deputy",
            "review_cadence_days",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        brm = attrs.get("brm", getattr(self.instance, "brm", None))
        deputy = attrs.get("deputy", getattr(self.instance, "deputy", None))
        if "brm" in attrs and "deputy" not in attrs and deputy == brm:
            deputy = None  # the deputy steps up and stops deputising (`services.reassign_brm`)
        if brm is not None and deputy is not None and brm == deputy:
            raise serializers.ValidationError(
                {"deputy": [gettext("The deputy must differ from the BRM.")]}
            )
        parent = attrs.get("parent")
        if self.instance is not None and parent is not None:
            node = parent
            while node is not None:
                if node.pk == self.instance.pk:
                    raise serializers.ValidationError(
                        {"parent": [gettext("A unit cannot sit below itself.")]}
                    )
                node = node.parent
        return attrs

    def check_model(self, attrs: dict[str, Any]) -> None:
        # The deputy who becomes BRM stops deputising (`services.reassign_brm`): check it so.
        brm, unit = attrs.get("brm"), self.instance
        steps_up = unit is not None and brm is not None and brm.pk == unit.deputy_id
        if steps_up and "deputy" not in attrs:
            attrs = {**attrs, "deputy": None}
        super().check_model(attrs)


class StakeholderSerializer(ModelSerializer[Stakeholder]):
    unit = WritableUnitField(queryset=BusinessUnit.objects.all())
    last_met_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "unit",
            "name",
            "job_title",
            "role_type",
            "influence",
            "interest",
            "email",
            "phone",
            "preferred_channel",
            "active",
            "external_id",
            "last_met_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance: Stakeholder) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self._hidden:
            for name in self._hidden:
                data.pop(name, None)
        return data

    @cached_property
    def _hidden(self) -> tuple[str, ...]:
        """Fields the reader may not see, decided once per serializer (a list's rows share it):
        IT's analysis of people stays with IT."""
        request = self.context.get("request")
        if request is not None and not may_see_analysis(request.user):
            return tuple(ANALYSIS_FIELDS)
        return ()


class InteractionSerializer(ModelSerializer[Interaction]):
    unit = WritableUnitField(queryset=BusinessUnit.objects.all())
    attendees = ScopedPrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), many=True, required=False
    )
    it_participants = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, help_text="Private to IT."
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "unit",
            "kind",
            "occurred_at",
            "summary",
            "notes",
            "sentiment",
            "attendees",
            "it_participants",
            "logged_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["logged_by", "created_at", "updated_at"]

    def to_representation(self, instance: Interaction) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self._hidden:
            for name in self._hidden:
                data.pop(name, None)
        return data

    @cached_property
    def _hidden(self) -> tuple[str, ...]:
        """Fields the reader may not see, decided once per serializer (a list's rows share it):
        BRMs' private notes never reach the business side, nor IT's sentiment analysis."""
        request = self.context.get("request")
        if request is None:
            return ()
        hidden: list[str] = []
        if not is_it_side(request.user):
            hidden.append("notes")
        if not may_see_analysis(request.user):
            hidden.extend(SENTIMENT_FIELDS)
        return tuple(hidden)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unit = attrs.get("unit", getattr(self.instance, "unit", None))
        assert unit is not None  # required on create; the stored one on update
        attendees = attrs.get("attendees")
        if attendees is None:
            # A meeting moved to another unit must not keep the old unit's people as attendees.
            before = self.instance
            moved = before is not None and unit.pk != before.unit_id
            attendees = before.attendees.all() if before is not None and moved else []
        strangers = [s.pk for s in attendees if s.unit_id != unit.pk]
        if strangers:
            raise serializers.ValidationError(
                {
                    "attendees": [
                        gettext("Not stakeholders of this unit: %(ids)s.") % {"ids": strangers}
                    ]
                }
            )
        return attrs


class ActionItemSerializer(ModelSerializer[ActionItem]):
    unit = WritableUnitField(queryset=BusinessUnit.objects.all())
    owner = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    owner_stakeholder = ScopedPrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), allow_null=True, required=False
    )
    interaction = ScopedPrimaryKeyRelatedField(
        queryset=Interaction.objects.all(), allow_null=True, required=False
    )
    outcome = serializers.CharField(
        read_only=True, help_text="open, overdue, on_time, late, dropped"
    )

    class Meta:
        model = ActionItem
        # Properties read from the row's own columns (the list may drop its joins).
        column_properties = ("outcome",)
        fields = [
            "id",
            "unit",
            "title",
            "description",
            "owner_side",
            "owner",
            "owner_stakeholder",
            "due_date",
            "status",
            "completed_at",
            "outcome",
            "interaction",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "completed_at", "created_by", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def get(name: str) -> Any:
            return attrs.get(name, getattr(self.instance, name, None))

        unit, side = get("unit"), get("owner_side") or OwnerSide.IT
        errors: dict[str, list[str]] = {}
        if side == OwnerSide.BUSINESS and get("owner") is not None:
            errors["owner"] = [gettext("A business-side commitment is owned by a stakeholder.")]
        if side == OwnerSide.IT and get("owner_stakeholder") is not None:
            errors["owner_stakeholder"] = [gettext("An IT commitment is owned by an IT person.")]
        person = get("owner_stakeholder")
        if person is not None and unit is not None and person.unit_id != unit.pk:
            errors["owner_stakeholder"] = [
                gettext("The owner must belong to the same business unit.")
            ]
        interaction = get("interaction")
        if interaction is not None and unit is not None and interaction.unit_id != unit.pk:
            errors["interaction"] = [gettext("The meeting must belong to the same business unit.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ActionTransitionSerializer(Serializer):
    action = serializers.ChoiceField(choices=["complete", "drop", "reopen"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] == "drop" and not attrs.get("reason", "").strip():
            raise serializers.ValidationError(
                {"reason": [gettext("Say why the commitment is dropped.")]}
            )
        return attrs


__all__ = [
    "ActionItemSerializer",
    "ActionStatus",
    "ActionTransitionSerializer",
    "BusinessUnitSerializer",
    "InteractionSerializer",
    "StakeholderSerializer",
]
