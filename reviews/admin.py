from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
from reviews.models import (
    ChangeRequest,
    ReviewNotice,
    ReviewSettings,
    ServiceReview,
    UnplannedReviewNotice,
)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin[ReviewSettings]):
    list_display = ["__str__", "reminder_days_ahead", "overdue_grace_days", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReviewSettings.objects.exists()  # a single row

    def has_delete_permission(
        self, request: HttpRequest, obj: ReviewSettings | None = None
    ) -> bool:
        return False


class ChangeRequestInline(admin.TabularInline[ChangeRequest, ServiceReview]):
    model = ChangeRequest
    extra = 0
    fields = ["kind", "title", "status", "decision", "service"]


@admin.register(ServiceReview)
class ServiceReviewAdmin(VersionedAdminMixin, SimpleHistoryAdmin[ServiceReview]):
    list_display = ["unit", "scheduled_at", "status", "held_at"]
    list_filter = ["status", "unit"]
    date_hierarchy = "scheduled_at"
    filter_horizontal = ["services", "attendees", "it_attendees"]
    list_select_related = ["unit"]
    inlines = [ChangeRequestInline]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(VersionedAdminMixin, SimpleHistoryAdmin[ChangeRequest]):
    list_display = ["title", "kind", "status", "review", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["review", "review__unit"]


@admin.register(ReviewNotice)
class ReviewNoticeAdmin(admin.ModelAdmin[ReviewNotice]):
    list_display = ["review", "recipient", "kind", "sent_at"]
    list_filter = ["kind"]
    readonly_fields = ["review", "recipient", "kind", "sent_at"]
    list_select_related = ["review", "review__unit"]


@admin.register(UnplannedReviewNotice)
class UnplannedReviewNoticeAdmin(admin.ModelAdmin[UnplannedReviewNotice]):
    list_display = ["unit", "due_on", "recipient", "sent_at"]
    readonly_fields = ["unit", "due_on", "recipient", "sent_at"]
    list_select_related = ["unit"]
