"""The one `/api/v1/` router every app registers its viewsets on, and the API error shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, routers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from brm.core.errors import ForbiddenAction, InputError, StaleVersion, StateConflict

router = routers.DefaultRouter()


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with the record's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This change conflicts with the record's current state.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    """412: `If-Match` names an older version of the record (or a save lost the race)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record has changed since you read it; read it again and re-apply.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    """428: this server requires `If-Match` on PUT, PATCH and DELETE (BRM_API_REQUIRE_IF_MATCH)."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the version you read.")
    default_code = "precondition_required"


# PostgreSQL's SQLSTATE for a unique violation: another record already holds the value.
UNIQUE_VIOLATION = "23505"


def database_refusal(exc: Exception) -> exceptions.APIException:
    """The last resort for a value that got past validation (which checks the model's rules
    first, brm/core/api_input.py): a unique clash is a 409, any other refusal by the database (a
    check constraint, a number out of the column's range) or a suspicious request a 400. The
    database's message is not echoed (it names tables and values)."""
    if isinstance(exc, IntegrityError):
        if getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION:
            return Conflict(gettext("Another record already has this value."))
        return exceptions.ValidationError({"detail": [gettext("The database refused this value.")]})
    if isinstance(exc, DataError):
        return exceptions.ValidationError(
            {"detail": [gettext("A value is out of the accepted range.")]}
        )
    return exceptions.ParseError(gettext("The request could not be read."))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's shape, plus the business-rule errors every app raises (brm/core/errors.py; a stale
    version is 412), model validation errors as 400 and protected deletes as 409, so viewsets
    need not catch them."""
    if isinstance(exc, InputError):
        exc = exceptions.ValidationError({exc.field: [exc.message]})
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed(str(exc))
    elif isinstance(exc, ForbiddenAction):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, StateConflict):
        exc = Conflict(str(exc))
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, ProtectedError):
        exc = Conflict(gettext("Other records still refer to this one; it cannot be deleted."))
    elif isinstance(exc, (IntegrityError, DataError, SuspiciousOperation)):
        exc = database_refusal(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


__all__ = [
    "Conflict",
    "PreconditionFailed",
    "PreconditionRequired",
    "Response",
    "exception_handler",
    "router",
]
