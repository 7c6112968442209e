"""API viewsets for complaints and feedback. The workflow decides every status change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from brm.core.api import PreconditionFailed
from brm.core.api_schema import ErrorSerializer
from brm.core.api_versions import (
    ETAG_HEADER,
    IF_MATCH,
    VersionedViewSetMixin,
    etag,
    if_match_allows,
)
from brm.core.attachments.api import AttachmentActionsMixin
from brm.core.roles import Role, role_of
from complaints import selectors, services, workflow
from complaints.api.serializers import (
    AssignSerializer,
    CommentSerializer,
    ComplaintEventSerializer,
    ComplaintSerializer,
    FeedbackSerializer,
    FollowUpDoneSerializer,
    FollowUpSerializer,
    RatingSerializer,
    TransitionSerializer,
)
from complaints.files import COMPLAINT_FILES
from complaints.filters import ComplaintFilterSet, FeedbackFilterSet
from complaints.models import Complaint, Feedback
from complaints.permissions import may_file


class AnyRole(permissions.BasePermission):
    """Any role may act here (leaders file and rate); the workflow decides what each may do."""

    message = "Your account has no role yet; ask an administrator."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and role_of(user) != Role.NONE)


class ComplaintViewSet(
    VersionedViewSetMixin,
    AttachmentActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Any],
):
    """Complaints. Leaders see their own and their unit's; status changes via `transition`,
    the handler via `assign`; `?handler=me` lists the complaints you handle.

    There is no update or delete: a complaint changes only through its workflow actions, and its
    timeline (`events`) is append-only. A complaint's `ETag` is its version (`assign` honours
    `If-Match`).
    """

    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilterSet
    permission_classes = [AnyRole]
    attachment_target = COMPLAINT_FILES  # files: the complainant and IT attach

    def get_queryset(self) -> QuerySet[Complaint]:
        return selectors.complaint_list(self.request.user).order_by("-created_at", "-pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The role is checked before the body: a role that may not file learns nothing more.
        # The service applies the same rule (and the unit's) again: this only answers early.
        if not may_file(request.user):
            raise PermissionDenied(gettext("Your role does not file complaints."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Complaint]) -> None:
        data = serializer.validated_data
        serializer.instance = services.file_complaint(
            services.ComplaintInput(
                unit=data["unit"],
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                service=data.get("service"),
                remedy_requested=data.get("remedy_requested", ""),
            ),
            actor=self.request.user,
        )

    def _fresh(self, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: ComplaintSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the complaint to `to` with a comment. 403 if your role may not make this move,
        409 if the complaint's state does not allow it now."""
        complaint = self.get_object()
        params = TransitionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        workflow.transition_complaint(
            complaint,
            params.validated_data["to"],
            actor=request.user,
            comment=params.validated_data["comment"],
        )
        return self._fresh(complaint.pk)

    @extend_schema(
        request=AssignSerializer,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={
            200: ComplaintSerializer,
            400: OpenApiResponse(description="No such person, not in IT, or no reason given."),
            403: OpenApiResponse(
                description="Only the unit's relationship managers, IT leadership and "
                "administrators assign complaints."
            ),
            404: OpenApiResponse(description="No such complaint, or not yours to see."),
            409: OpenApiResponse(description="The complaint is no longer open."),
            412: OpenApiResponse(
                ErrorSerializer,
                description="`If-Match` names an older version: someone changed the complaint "
                "meanwhile. Nothing was written; `ETag` gives the current version.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Make a person in IT the complaint's handler (ISO 10002 complaint handler); a
        reassignment needs a `reason`. The new handler is emailed (their preferences apply) and
        the assignment is on the timeline. Assigning the current handler again changes nothing.
        Escalations still go to the unit's relationship managers."""
        complaint = self.get_object()
        params = AssignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        with transaction.atomic():
            # Lock, then compare: the version checked is the version the assignment applies to.
            version = (
                Complaint.objects.select_for_update()
                .filter(pk=complaint.pk)
                .values_list("version", flat=True)
                .get()
            )
            self._etag_version = version
            header = request.headers.get("If-Match")
            if header is not None and not if_match_allows(header, version):
                raise PreconditionFailed(
                    gettext(
                        "This complaint has changed since you read it: it is now version "
                        "%(version)s (ETag %(etag)s), not %(given)s. Read it again and re-apply "
                        "your change."
                    )
                    % {"version": version, "etag": etag(version), "given": header.strip()}
                )
            services.assign_complaint(
                complaint,
                params.validated_data["handler"],
                actor=request.user,
                reason=params.validated_data.get("reason", ""),
                expected_version=version,
            )
        response = self._fresh(complaint.pk)
        response["ETag"] = etag(complaint.version)
        return response

    @extend_schema(responses=ComplaintEventSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        serializer_class=ComplaintEventSerializer,
        filterset_class=None,  # the complaint list's filters do not apply to its timeline
    )
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The append-only timeline, oldest first, paginated like every list."""
        complaint = self.get_object()
        page = self.paginate_queryset(selectors.complaint_events(complaint))
        return self.get_paginated_response(ComplaintEventSerializer(page, many=True).data)

    @extend_schema(request=CommentSerializer, responses={201: ComplaintEventSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """Add a comment to the timeline."""
        complaint = self.get_object()
        params = CommentSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        event = services.add_comment(
            complaint, actor=request.user, comment=params.validated_data["comment"]
        )
        return Response(ComplaintEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RatingSerializer, responses={200: ComplaintSerializer, 403: None, 409: None}
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        """The complainant rates the resolution 1-5, once."""
        complaint = self.get_object()
        params = RatingSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.rate_resolution(
            complaint,
            params.validated_data["rating"],
            actor=request.user,
            comment=params.validated_data.get("comment", ""),
        )
        return self._fresh(complaint.pk)

    @extend_schema(
        request=FollowUpSerializer,
        responses={200: ComplaintSerializer, 400: None, 404: None, 409: None},
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Request, pk: str | None = None) -> Response:
        """Link the change request, demand or commitment (of the complaint's unit) the fix needs,
        or outside work by `kind` and `reference`. The complainant is told the outcome when the
        linked record is finished."""
        complaint = self.get_object()
        params = FollowUpSerializer(
            data=request.data, context={"request": request, "complaint": complaint}
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        services.link_follow_up(
            complaint,
            actor=request.user,
            work=data["work"],
            kind=data.get("kind", ""),
            reference=data.get("reference", ""),
        )
        return self._fresh(complaint.pk)

    @extend_schema(request=FollowUpDoneSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up-done")
    def follow_up_done(self, request: Request, pk: str | None = None) -> Response:
        """Record that the linked work is done; the complainant is told (closing the loop)."""
        complaint = self.get_object()
        params = FollowUpDoneSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.complete_follow_up(
            complaint, actor=request.user, outcome=params.validated_data["outcome"]
        )
        return self._fresh(complaint.pk)


class FeedbackViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Any],
):
    """Compliments and suggestions. Anyone with a role may leave one."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilterSet
    permission_classes = [AnyRole]

    def get_queryset(self) -> QuerySet[Feedback]:
        return selectors.feedback_list(self.request.user).order_by("-created_at", "-pk")

    def perform_create(self, serializer: BaseSerializer[Feedback]) -> None:
        data = serializer.validated_data
        serializer.instance = services.leave_feedback(
            actor=self.request.user,
            kind=data["kind"],
            message=data["message"],
            about_person=data.get("about_person"),
            about_team=data.get("about_team", ""),
            unit=data.get("unit"),
        )
