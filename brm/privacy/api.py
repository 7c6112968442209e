"""People's data through the API (administrators only; others 403, anonymous callers 401).

- `GET /api/v1/privacy/stakeholders/{id}/export/` and `GET /api/v1/privacy/users/{id}/export/`:
  everything held about the person (`brm.privacy.services.export_person`).
- `POST /api/v1/privacy/stakeholders/{id}/erase/` and `POST /api/v1/privacy/users/{id}/erase/`:
  erase them (`erase_person`); a second call answers 200 with all counts 0.

A stakeholder deleted earlier still has history rows: its id answers until it is erased, and
after (the erased rows stay). An id never used is a 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from brm.core import api_input
from brm.privacy import services
from brm.privacy.permissions import may_handle_personal_data


class Administrators(permissions.BasePermission):
    """`brm.privacy.permissions.may_handle_personal_data`: administrators only."""

    message = "Only administrators export or erase people's data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and may_handle_personal_data(user))


class SubjectSerializer(api_input.Serializer):
    type = serializers.ChoiceField(choices=services.SUBJECT_TYPES)
    id = serializers.IntegerField()


# An export's rows are flat: {column: string | number | boolean | null} (a JSON column's value
# is given as JSON text, times as ISO 8601); sections and parts are named by the apps.
CELL = {
    "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
    "nullable": True,
}
ROW = {"type": "object", "additionalProperties": CELL, "description": "One record."}
SECTIONS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": ROW},
    "description": "Section name (e.g. `meetings`) -> its records.",
}


@extend_schema_field({"type": "object", "additionalProperties": SECTIONS})
class PartsField(serializers.DictField):
    """{part: {section: [row, ...]}}."""


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
        },
    }
)
class CountsField(serializers.DictField):
    """{part: {section: rows changed or removed}}."""


class PersonExportSerializer(api_input.Serializer):
    """`services.export_person`: per part of the product, its sections, each a list of rows."""

    subject = SubjectSerializer()
    user_id = serializers.IntegerField(allow_null=True, help_text="Their login, if any.")
    stakeholder_id = serializers.IntegerField(
        allow_null=True, help_text="Their register entry, if any."
    )
    generated_at = serializers.DateTimeField()
    parts = PartsField(
        help_text="Parts (register, reviews, complaints, demands, surveys, health, webhooks, "
        "imports, sign_in, account), each {section: [row, ...]}."
    )


class ErasureSerializer(api_input.Serializer):
    """`services.erase_person`: rows changed or removed, per part and section."""

    subject = SubjectSerializer()
    erased_at = serializers.DateTimeField()
    counts = CountsField()


ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The record's id.")


class _PersonViewSet(viewsets.ViewSet):
    subject_type = ""
    permission_classes = [Administrators]
    lookup_value_regex = r"[0-9]+"

    def _call(self, function: Any, request: Request, pk: str | None) -> dict[str, Any]:
        try:
            result: dict[str, Any] = function(self.subject_type, int(pk or 0), actor=request.user)
        except services.NotFound as exc:
            raise exceptions.NotFound(str(exc)) from exc
        return result

    @extend_schema(parameters=[ID], responses=PersonExportSerializer)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        """Everything the product holds about this person (GDPR art. 15)."""
        return Response(self._call(services.export_person, request, pk))

    @extend_schema(parameters=[ID], request=None, responses=ErasureSerializer)
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None) -> Response:
        """Erase this person (GDPR art. 17); safe to repeat."""
        return Response(self._call(services.erase_person, request, pk))


@extend_schema(tags=["privacy"])
class StakeholderPrivacyViewSet(_PersonViewSet):
    """A register entry's personal data: export or erase (administrators)."""

    subject_type = "stakeholder"


@extend_schema(tags=["privacy"])
class UserPrivacyViewSet(_PersonViewSet):
    """A login's personal data: export or erase (administrators)."""

    subject_type = "user"


def register(router: DefaultRouter) -> None:
    router.register(
        "privacy/stakeholders", StakeholderPrivacyViewSet, basename="privacy-stakeholder"
    )
    router.register("privacy/users", UserPrivacyViewSet, basename="privacy-user")
