"""API shapes of surveys. Writes go through `satisfaction.services`; results are aggregates only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers

from brm.core.api_input import IntegerPrimaryKeyRelatedField, ModelSerializer, Serializer
from satisfaction.models import Campaign, Question, SurveyTemplate
from satisfaction.services import MAX_QUESTIONS
from stakeholders.api.serializers import ScopedPrimaryKeyRelatedField
from stakeholders.models import BusinessUnit, RoleType


class QuestionSerializer(ModelSerializer[Question]):
    class Meta:
        model = Question
        fields = ["id", "kind", "text", "help_text", "required", "position"]


class SurveyTemplateSerializer(ModelSerializer[SurveyTemplate]):
    questions = QuestionSerializer(many=True, max_length=MAX_QUESTIONS)  # type: ignore[call-arg]

    class Meta:
        model = SurveyTemplate
        fields = ["id", "name", "description", "intro", "active", "questions", "created_at"]
        read_only_fields = ["created_at"]

    def validate_questions(self, value: list[Any]) -> list[Any]:
        if not value:
            raise serializers.ValidationError(gettext("A survey needs at least one question."))
        return value


class CampaignSerializer(ModelSerializer[Campaign]):
    template = IntegerPrimaryKeyRelatedField(queryset=SurveyTemplate.objects.all())
    units = ScopedPrimaryKeyRelatedField(queryset=BusinessUnit.objects.all(), many=True)
    role_types = serializers.ListField(
        child=serializers.ChoiceField(choices=RoleType.choices), required=False
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "template",
            "kind",
            "parent",
            "owner",
            "units",
            "role_types",
            "sample_size",
            "schedule",
            "interval_days",
            "next_run_at",
            "anonymous",
            "max_reminders",
            "reminder_days",
            "status",
            "opened_at",
            "closes_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "kind",
            "parent",
            "owner",
            "status",
            "opened_at",
            "closes_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]


class SkipSerializer(Serializer):
    stakeholder = serializers.IntegerField(source="stakeholder.pk")
    name = serializers.CharField(source="stakeholder.name")
    unit = serializers.IntegerField(source="stakeholder.unit_id")
    reason = serializers.CharField()
    detail = serializers.CharField()


class AudienceSerializer(Serializer):
    selected = serializers.ListField(child=serializers.IntegerField())
    skipped = SkipSerializer(many=True)
