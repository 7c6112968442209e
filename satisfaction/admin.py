from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
from satisfaction.models import (
    Campaign,
    Invitation,
    Pulse,
    Question,
    SatisfactionSettings,
    Skip,
    SurveyTemplate,
)
from satisfaction.services import MAX_QUESTIONS


@admin.register(SatisfactionSettings)
class SatisfactionSettingsAdmin(admin.ModelAdmin[SatisfactionSettings]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SatisfactionSettings.objects.exists()


class QuestionInline(admin.TabularInline[Question, SurveyTemplate]):
    """A questionnaire's questions, at most `MAX_QUESTIONS` (the rule the API and services keep)."""

    model = Question
    extra = 1
    max_num = MAX_QUESTIONS

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        # max_num alone only hides the "add" link; validate_max refuses a longer post too.
        kwargs.setdefault("validate_max", True)
        return super().get_formset(request, obj, **kwargs)


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(VersionedAdminMixin, SimpleHistoryAdmin[SurveyTemplate]):
    list_display = ["name", "active", "created_at"]
    inlines = [QuestionInline]


@admin.register(Campaign)
class CampaignAdmin(VersionedAdminMixin, SimpleHistoryAdmin[Campaign]):
    list_display = ["name", "kind", "status", "schedule", "next_run_at", "anonymous"]
    list_filter = ["status", "kind", "anonymous"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "owner", "recipients"]
    # Status moves through satisfaction.services (schedule/close) and the dispatch job.
    readonly_fields = ["status", "opened_at", "closes_at", "closed_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    # No answers here: for anonymous campaigns the invitation must not lead to a response.
    list_display = ["campaign", "stakeholder", "sent_at", "reminders_sent", "answered_at"]
    list_filter = ["campaign__status"]
    raw_id_fields = ["campaign", "stakeholder"]
    readonly_fields = ["token_hash", "sent_at", "reminders_sent", "last_reminded_at", "answered_at"]


@admin.register(Skip)
class SkipAdmin(admin.ModelAdmin[Skip]):
    list_display = ["campaign", "stakeholder", "reason", "detail"]
    list_filter = ["reason"]
    raw_id_fields = ["campaign", "stakeholder"]


@admin.register(Pulse)
class PulseAdmin(admin.ModelAdmin[Pulse]):
    list_display = ["source_type", "source_id", "unit", "campaign", "created_at"]
    raw_id_fields = ["campaign", "unit"]
