"""API shapes of complaints and feedback. Related objects are ids; writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework import serializers

from brm.core.api_fields import OptionalChoiceField
from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from brm.core.roles import Role, leader_unit_id, role_of
from brm.core.validators import single_line
from complaints.follow_up import LINK_BY_PARAM, linkable
from complaints.models import (
    Complaint,
    ComplaintEvent,
    Feedback,
    FeedbackKind,
    FollowUpKind,
    Severity,
    Status,
)
from portfolio.models import Service
from stakeholders.api.serializers import ScopedPrimaryKeyRelatedField
from stakeholders.models import BusinessUnit

User = get_user_model()


class ComplaintSerializer(ModelSerializer[Complaint]):
    unit = ScopedPrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(),
        required=False,
        help_text="Leaders may leave it out: their own unit is used.",
    )
    service = ScopedPrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, validators=[single_line])
    description = serializers.CharField(max_length=5000)
    remedy_requested = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    is_overdue = serializers.BooleanField(read_only=True)
    handler: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The person in IT who handles it (ISO 10002 complaint handler); change it "
        "with the `assign` action.",
    )
    follow_up_kind = OptionalChoiceField(
        choices=FollowUpKind.choices, read_only=True, help_text="Null until work is linked."
    )

    class Meta:
        model = Complaint
        # Properties read from the row's own columns (the list may drop its joins).
        column_properties = ("is_overdue",)
        fields = [
            "id",
            "reference",
            "unit",
            "service",
            "complainant",
            "handler",
            "title",
            "description",
            "remedy_requested",
            "severity",
            "status",
            "escalation_level",
            "acknowledge_by",
            "resolve_by",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "resolution_rating",
            "rated_at",
            "follow_up_kind",
            "follow_up_change",
            "follow_up_demand",
            "follow_up_action",
            "follow_up_reference",
            "follow_up_done_at",
            "follow_up_outcome",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in {"unit", "service", "title", "description", "remedy_requested", "severity"}
        ]

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(gettext("Give the complaint a short title."))
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Which unit a role may file for is `complaints.permissions.may_file`, enforced by
        # `file_complaint` (403); here a leader's unit only defaults to their own. Another unit's
        # id is "invalid pk" already (the field is scoped), confirming nothing.
        user = self.context["request"].user
        if role_of(user) == Role.LEADER:
            own = leader_unit_id(user)
            if own is None:
                raise serializers.ValidationError(
                    {"unit": [gettext("Your login is not linked to a business unit.")]}
                )
            attrs["unit"] = attrs.get("unit") or BusinessUnit.objects.get(pk=own)
        elif attrs.get("unit") is None:
            raise serializers.ValidationError({"unit": [gettext("This field is required.")]})
        return attrs


class ComplaintEventSerializer(ModelSerializer[ComplaintEvent]):
    # Null on events that change no status (comments, escalations); `from_status` also on filing.
    from_status = OptionalChoiceField(choices=Status.choices, read_only=True)
    to_status = OptionalChoiceField(choices=Status.choices, read_only=True)

    class Meta:
        model = ComplaintEvent
        fields = [
            "id",
            "kind",
            "actor",
            "from_status",
            "to_status",
            "comment",
            "level",
            "created_at",
        ]
        read_only_fields = fields


class AssignSerializer(Serializer):
    """Who handles the complaint from now on, and why (required when reassigning)."""

    handler = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.all(),
        help_text="The id of a person in IT: a relationship manager, IT leadership or an "
        "administrator (anyone else is a 400).",
    )
    reason = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="Why it moves; required when the complaint has a handler already.",
    )


class TransitionSerializer(Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    comment = serializers.CharField(max_length=5000)


class CommentSerializer(Serializer):
    comment = serializers.CharField(max_length=5000)


class RatingSerializer(Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class UnitWorkField(IntegerPrimaryKeyRelatedField):
    """A record of the complaint's unit the caller may see. Any other id, of another unit or of
    nothing, is the same "invalid pk" (400), so the answer never confirms that a record exists."""

    def __init__(self, param: str, **kwargs: Any) -> None:
        self.link = LINK_BY_PARAM[param]
        super().__init__(queryset=self.link.model._default_manager.all(), **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        complaint = self.context.get("complaint")
        if request is None or complaint is None:
            return self.link.model._default_manager.none()
        return linkable(self.link, complaint, request.user)


class FollowUpSerializer(Serializer):
    """One of `change_request`, `demand`, `action_item` (the kind follows from it, `reference`
    is an optional note), or `kind` and `reference` for work outside this system."""

    change_request = UnitWorkField("change_request", required=False, allow_null=True)
    demand = UnitWorkField("demand", required=False, allow_null=True)
    action_item = UnitWorkField(
        "action_item", required=False, allow_null=True, help_text="A commitment (improvement)."
    )
    kind = serializers.ChoiceField(
        choices=FollowUpKind.choices, required=False, help_text="Only for outside work."
    )
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        linked = [param for param in LINK_BY_PARAM if attrs.get(param) is not None]
        if len(linked) > 1:
            raise serializers.ValidationError(
                {param: ["Link one piece of work only."] for param in linked}
            )
        attrs["work"] = attrs[linked[0]] if linked else None
        return attrs


class FollowUpDoneSerializer(Serializer):
    outcome = serializers.CharField(max_length=2000)


class FeedbackSerializer(ModelSerializer[Feedback]):
    kind = serializers.ChoiceField(choices=FeedbackKind.choices, default=FeedbackKind.COMPLIMENT)
    about_person = IntegerPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    unit = ScopedPrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(), required=False, allow_null=True
    )
    message = serializers.CharField(max_length=2000)
    about_team = serializers.CharField(max_length=120, required=False, allow_blank=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "kind",
            "author",
            "about_person",
            "about_team",
            "unit",
            "message",
            "created_at",
        ]
        read_only_fields = ["author", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("about_person") and not attrs.get("about_team", "").strip():
            raise serializers.ValidationError(
                {"about_team": [gettext("Say which team or person in IT it is for.")]}
            )
        # A leader's feedback is filed under their own unit by `leave_feedback`.
        return attrs
