"""Bulk import API (administrators and integrations; others 403, anonymous callers 401).

- `POST /api/v1/imports/` (multipart: `kind` units|stakeholders|services|consumers|metrics,
  `file` CSV or XLSX, `dry_run` default true): 202 with the queued job.
- `GET /api/v1/imports/{id}/`: the job, its progress {done, total} and, once done, its result
  (counts of new, changed, unchanged and duplicate rows, per-row errors, `saved`).
- `POST /api/v1/imports/{id}/confirm/`: the real run of a finished dry run without errors
  (202 with the new job; 409 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from brm.core import api_input
from brm.imports import jobs
from brm.imports.models import ImportJob
from brm.imports.permissions import may_import
from brm.imports.register import KINDS

# The largest file accepted (bytes); 100,000 stakeholder rows are about 10 MB.
MAX_IMPORT_BYTES = getattr(settings, "BRM_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


class Importers(permissions.BasePermission):
    """`brm.imports.permissions.may_import`: administrators and integrations."""

    message = gettext_lazy("Only administrators and integrations import records.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and may_import(request.user))


class UploadSerializer(api_input.Serializer):
    kind = serializers.ChoiceField(choices=sorted(KINDS))
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=True)

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                gettext("The file is larger than %(MAX_IMPORT_BYTES)s bytes.")
                % {"MAX_IMPORT_BYTES": MAX_IMPORT_BYTES}
            )
        return value


class ProgressSerializer(api_input.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class RowErrorSerializer(api_input.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = serializers.CharField()
    message = serializers.CharField()


class ResultSerializer(api_input.Serializer):
    """`brm.imports.runner.Summary`: counts of rows, per-row errors, whether it was saved."""

    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    total = serializers.IntegerField()
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    # DRF's metaclass pops declared fields off the class, so this never hides `Serializer.errors`.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]
    saved = serializers.BooleanField()
    ok = serializers.BooleanField()


class ImportJobSerializer(api_input.ModelSerializer[ImportJob]):
    progress = serializers.SerializerMethodField()
    result = ResultSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "filename",
            "dry_run",
            "status",
            "progress",
            "result",
            "preview",
            "created_at",
            "finished_at",
            "file_deleted_at",
        ]
        read_only_fields = fields

    @extend_schema(responses=ProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict[str, int]:
        return jobs.progress(job)


class ImportJobViewSet(
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ImportJob],
):
    """Import jobs: upload for a dry run or a real run, follow one, confirm a dry run."""

    serializer_class = ImportJobSerializer
    permission_classes = [Importers]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.defer("data").order_by("pk")

    @extend_schema(request=UploadSerializer, responses={202: ImportJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = UploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        job = jobs.start_import(
            user=request.user,  # type: ignore[arg-type]  # Importers: an authenticated user
            kind=data["kind"],
            data=data["file"].read(),
            filename=data["file"].name or "",
            dry_run=data["dry_run"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Run a finished, error-free dry run for real (409 when it is not one)."""
        preview = ImportJob.objects.get(pk=self.get_object().pk)
        job = jobs.confirm_import(preview, user=request.user)  # type: ignore[arg-type]
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def register(router: DefaultRouter) -> None:
    router.register("imports", ImportJobViewSet, basename="import-job")
