"""`/api/v1/notifications/`: the caller's own in-app inbox (list, mark one or all read).

Every signed-in caller has an inbox, whatever their role (a business leader marks theirs read
although they change no records), so these views ask only for a login. Another user's
notification is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from brm.core import inbox as service
from brm.core.filtering import FilterSet, FlagFilter
from brm.core.models import Notification
from brm.core.ordering import StableOrderingFilter


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    url = serializers.SerializerMethodField(help_text="The record it is about, or null.")
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "read", "read_at", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, obj: Notification) -> str | None:
        return settings.SITE_URL + obj.link if obj.link else None


class NotificationFilterSet(FilterSet):
    unread = FlagFilter(field_name="read_at", lookup_expr="isnull", help_text="Only unread.")
    ordering = StableOrderingFilter(fields=("created_at",))

    class Meta:
        model = Notification
        fields = ["unread"]


class NotificationList(generics.ListAPIView[Notification]):
    """The caller's notifications, newest first: what was also emailed to them."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilterSet

    def get_queryset(self) -> Any:
        return service.inbox_for(self.request.user)


class ReadCountSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many were unread and are read now.")
    unread = serializers.IntegerField(help_text="How many are still unread.")


class NotificationRead(APIView):
    """Mark one of the caller's notifications read (already read: unchanged)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        try:
            item = service.mark_read(request.user, pk)
        except Notification.DoesNotExist as exc:
            raise Http404("No such notification.") from exc
        return Response(NotificationSerializer(item).data)


class NotificationReadAll(APIView):
    """Mark every unread notification of the caller read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ReadCountSerializer)
    def post(self, request: Request) -> Response:
        marked = service.mark_all_read(request.user)
        return Response({"marked": marked, "unread": service.unread_count(request.user)})


# Wired under /api/v1/ by the project's URLs (the router serves the record resources).
urlpatterns = [
    path("notifications/", NotificationList.as_view(), name="notification-list"),
    path("notifications/read-all/", NotificationReadAll.as_view(), name="notification-read-all"),
    path("notifications/<int:pk>/read/", NotificationRead.as_view(), name="notification-read"),
]
