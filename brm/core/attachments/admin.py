"""Attachments in the admin: read-only, with their history (uploads and removals)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from brm.core.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(SimpleHistoryAdmin[Attachment]):
    """Files are added and removed on their record's page or through the API, where the
    record's rules apply; the admin only shows them."""

    list_display = ["filename", "content_type", "size", "record_type", "record_id"]
    list_display += ["uploaded_by", "created_at"]
    list_filter = ["record_type", "content_type"]
    search_fields = ["filename"]
    list_select_related = ["record_type", "uploaded_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # removing goes through the service, which also removes the stored file
