"""The API of attachments: `/api/v1/<records>/{id}/attachments/` on each record's viewset.

A viewset adds `AttachmentActionsMixin` to its bases and sets `attachment_target` (the app's
`AttachmentTarget`): the record is looked up in `target.records(user)`, the same scope as its
detail page and the viewset's own queryset (404 outside it), and the app's rule says who may
attach. Operations, documented in the OpenAPI schema:

- `GET .../attachments/`: the record's files, paginated like every list;
- `POST .../attachments/` (multipart/form-data, field `file`): 201 with the file; 400
  `{"file": ["..."]}` for an empty, oversized, not allowed or disguised file (nothing kept);
- `GET .../attachments/{attachment_pk}/`: one file's description;
- `DELETE .../attachments/{attachment_pk}/`: 204; the uploader or an administrator, else 403;
- `GET .../attachments/{attachment_pk}/download/`: the bytes, as `Content-Disposition:
  attachment` with the sniffed `Content-Type` and `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from brm.core.attachments.content import FIELD, KNOWN_TYPES
from brm.core.attachments.models import Attachment
from brm.core.attachments.services import (
    AttachmentTarget,
    attach_file,
    delete_attachment,
    download_response,
)

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    _ViewBase = GenericViewSet[Any]
else:
    _ViewBase = object


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    """A file on a record. `content_type` is sniffed from the bytes; `size` is in bytes;
    `download_url` gives the file itself (same scope as the record)."""

    download_url = serializers.SerializerMethodField(help_text="GET the file's bytes here.")

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "uploaded_by", "created_at"]
        fields += ["download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: Attachment) -> str:
        request = self.context["request"]
        view = self.context["view"]
        return reverse(
            f"{view.basename}-attachment-download",
            kwargs={"pk": view.kwargs["pk"], "attachment_pk": obj.pk},
            request=request,
        )


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    """multipart/form-data with one part, `file`."""

    file = serializers.FileField(
        allow_empty_file=True,
        help_text="The file. Its type is sniffed from its content (the part's Content-Type is "
        "ignored) and must agree with the name's extension.",
    )


# The download answers with the type sniffed at upload: one of the known types (text in UTF-8).
DOWNLOAD_RESPONSES = {
    (200, mime): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file (Content-Disposition: attachment)."
    )
    for mime in sorted({t.mime for t in KNOWN_TYPES.values()})
}

ATTACHMENT_PK = OpenApiParameter(
    "attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id."
)


class AttachmentActionsMixin(_ViewBase):
    """Files on the viewset's records; set `attachment_target` (see the module)."""

    attachment_target: AttachmentTarget

    def _attachment_record(self) -> models.Model:
        # DRF's lookup: an id that is not a number is a 404, as on the record's own detail.
        record: models.Model = get_object_or_404(
            self.attachment_target.records(self.request.user), pk=self.kwargs["pk"]
        )
        return record

    def _one_attachment(self, attachment_pk: str | None) -> Attachment:
        record = self._attachment_record()
        found: Attachment = get_object_or_404(Attachment.objects.of(record), pk=attachment_pk)
        return found

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers any Accept header (a client may ask for application/pdf); its
        # errors are still JSON.
        return super().perform_content_negotiation(
            request, force=force or self.action == "attachment_download"
        )

    @extend_schema(
        methods=["GET"],
        summary="The record's files",
        description="Its files, oldest first, to whoever may see the record (404 otherwise).",
        filters=False,
        responses=AttachmentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a file",
        description="The server sets the accepted types and the size limit (by default PDF, "
        "PNG, JPEG, Word, Excel, PowerPoint, text and CSV, up to 20 MB). A refused file answers "
        "400 under `file` and nothing of it is kept.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        parser_classes=[MultiPartParser],
        serializer_class=AttachmentSerializer,
        filterset_class=None,
        filter_backends=[],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        record = self._attachment_record()
        if request.method == "GET":
            page = self.paginate_queryset(Attachment.objects.of(record))
            data = AttachmentSerializer(page, many=True, context=self.get_serializer_context())
            return self.get_paginated_response(data.data)
        params = AttachmentUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        target = self.attachment_target
        attachment = attach_file(
            record,
            params.validated_data[FIELD],
            actor=request.user,
            allowed=target.may_attach(request.user, record),
        )
        body = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="One file's description",
        description="Name, sniffed type, size, uploader and where to download it.",
        parameters=[ATTACHMENT_PK],
        filters=False,
        responses=AttachmentSerializer,
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a file (its uploader or an administrator)",
        description="403 for anyone else who may see the record. The history keeps who removed "
        "it and when.",
        parameters=[ATTACHMENT_PK],
        filters=False,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)",
        url_name="attachment",
        serializer_class=AttachmentSerializer,
        filterset_class=None,
        filter_backends=[],
    )
    def attachment(
        self, request: Request, pk: str | None = None, attachment_pk: str | None = None
    ) -> Response:
        attachment = self._one_attachment(attachment_pk)
        if request.method == "DELETE":
            delete_attachment(attachment, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Download a file",
        description="The bytes, as `Content-Disposition: attachment` with the original name, the "
        "type sniffed at upload and `X-Content-Type-Options: nosniff`. Any `Accept` is served.",
        parameters=[ATTACHMENT_PK],
        filters=False,
        responses=DOWNLOAD_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)/download",
        url_name="attachment-download",
        filterset_class=None,
        filter_backends=[],
    )
    def attachment_download(
        self, request: Request, pk: str | None = None, attachment_pk: str | None = None
    ) -> HttpResponseBase:
        return download_response(self._one_attachment(attachment_pk))
