"""Lost updates in the API: `ETag` on detail responses, `If-Match` on PUT, PATCH and DELETE.

Every writable viewset of a versioned record (`brm.core.models.VersionedModel`) puts
`VersionedViewSetMixin` first in its bases. The rule, once for all of them:

- GET of one record, and the answer to PUT or PATCH, carry `ETag: "<version>"` (a strong tag:
  the record's version, the same for every reader even where a role sees fewer fields).
- PUT, PATCH and DELETE run in one transaction that first locks the record's row
  (`SELECT ... FOR UPDATE`), then reads it: two writers take turns, and each validates and saves
  what the other left, so two concurrent PATCHes of different fields both survive.
- `If-Match` (one or more ETags, or `*`) must name the locked row's version, else 412 with
  `{"detail": "..."}` and the current `ETag`. `W/"3"` counts as `"3"` (proxies that compress
  weaken tags). Without `If-Match` the write goes ahead, unless the setting
  `BRM_API_REQUIRE_IF_MATCH` is true: then 428.
- The OpenAPI schema documents the `If-Match` request header and the `ETag` response header on
  these operations (the 412 and 428 bodies come with every PUT, PATCH and DELETE from
  `brm.core.api_schema.AutoSchema`).

Custom detail actions (`transition`, `confirm`, ...) keep their own rules (their services lock
what they change).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.http import parse_etags
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.inspectors import DefaultSchema, ViewInspector
from rest_framework.settings import api_settings

from brm.core.api import PreconditionFailed, PreconditionRequired
from brm.core.models import VersionedModel

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    _ViewBase = GenericViewSet[Any]
else:
    _ViewBase = object

WRITE_METHODS = frozenset({"put", "patch", "delete"})
DETAIL_READ_ACTIONS = frozenset({"retrieve"})
WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})


def etag(version: int) -> str:
    """The ETag of a record at `version`: `"3"` (quoted, strong)."""
    return f'"{version}"'


def if_match_allows(header: str, version: int) -> bool:
    """Whether an `If-Match` header value names `version`.

    `header` is a comma-separated list of ETags (`"3"`, `W/"3"`) or `*`; a bare `3` is read as
    `"3"` for clients that drop the quotes."""
    value = header.strip()
    tags = [etag(int(value))] if value.isdigit() else parse_etags(value)
    if tags == ["*"]:
        return True
    wanted = etag(version)
    return any(tag.removeprefix("W/") == wanted for tag in tags)


# --- The OpenAPI schema -----------------------------------------------------------------------

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The `ETag` of the version you read, e.g. `"3"`. If the record has changed since, '
        "nothing is written and the answer is 412 with the current `ETag`. Required (428 "
        "without it) when the server sets BRM_API_REQUIRE_IF_MATCH."
    ),
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 412],
    description=(
        'The record\'s version as a strong entity tag, e.g. `"3"`; send it back in `If-Match` '
        "to change or delete exactly this version."
    ),
)


PRECONDITION_RESPONSES = {
    "412": "`If-Match` names an older version: someone changed the record meanwhile. Nothing "
    "was written; the `ETag` header gives the current version.",
    "428": "This server requires `If-Match` (the `ETag` of the version you read).",
}
ERROR_BODY = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong."}},
    "required": ["detail"],
}


class _VersionedSchemaMixin:
    """Adds `If-Match` and `ETag` to the detail operations of a versioned viewset, and the 412
    and 428 answers where the schema class beneath has not documented them already."""

    view: Any
    method: str

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)  # type: ignore[misc]
        if operation is None or getattr(self.view, "action", None) not in WRITE_ACTIONS:
            return operation
        responses = operation.setdefault("responses", {})
        for code, description in PRECONDITION_RESPONSES.items():
            if code not in responses:
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_BODY}},
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_override_parameters(self) -> list[Any]:
        params: list[Any] = super().get_override_parameters()  # type: ignore[misc]
        action = getattr(self.view, "action", None)
        if action in WRITE_ACTIONS:
            params = [*params, IF_MATCH]
        if action in DETAIL_READ_ACTIONS | {"update", "partial_update"}:
            params = [*params, ETAG_HEADER]
        return params


_schema_classes: dict[type[Any], type[Any]] = {}


def _versioned_schema_class(base: type[Any]) -> type[Any]:
    if base not in _schema_classes:
        _schema_classes[base] = type(f"Versioned{base.__name__}", (_VersionedSchemaMixin, base), {})
    return _schema_classes[base]


class VersionedSchema(DefaultSchema):
    """The project's DEFAULT_SCHEMA_CLASS (whatever it is) with `_VersionedSchemaMixin`, so the
    error responses it documents and these headers add up instead of replacing each other."""

    def __get__(self, instance: Any, owner: Any) -> Any:
        result = ViewInspector.__get__(self, instance, owner)
        if not isinstance(result, VersionedSchema):
            return result  # set by the schema generator for this view instance
        inspector = _versioned_schema_class(cast(type[Any], api_settings.DEFAULT_SCHEMA_CLASS))()
        inspector.view = instance
        return inspector


# --- The viewset mixin ------------------------------------------------------------------------


class VersionedViewSetMixin(_ViewBase):
    """ETag and If-Match for a viewset whose model is a `VersionedModel` (see the module)."""

    schema = VersionedSchema()
    _etag_version: int | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        handler = getattr(self, method, None)
        if method in WRITE_METHODS and handler is not None and self._versioned():
            # Authentication and permissions are done; the handler (the viewset's own
            # `update`, `partial_update` or `destroy`, whichever class defines it) runs in
            # one transaction, so the row lock taken in `get_object` lasts until the commit.
            setattr(self, method, self._atomic(handler))

    def _versioned(self) -> bool:
        model = self.get_queryset().model
        return issubclass(model, VersionedModel)

    def _atomic(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(handler)
        def run(request: Request, *args: Any, **kwargs: Any) -> Response:
            with transaction.atomic():
                response = handler(request, *args, **kwargs)
                obj = getattr(self, "_versioned_object", None)
                if obj is not None and response.status_code < 300 and self.action != "destroy":
                    # The version the write left (a service may have saved its own copy).
                    self._etag_version = (
                        type(obj)
                        ._base_manager.filter(pk=obj.pk)
                        .values_list("version", flat=True)
                        .first()
                    )
            return response

        return run

    def get_object(self) -> Any:
        if self.action not in WRITE_ACTIONS:
            obj = super().get_object()
            if isinstance(obj, VersionedModel):
                self._versioned_object = obj
                self._etag_version = obj.version
            return obj
        self._lock_row()
        obj = super().get_object()  # read after the lock: the latest committed version
        if isinstance(obj, VersionedModel):
            self._versioned_object = obj
            self._etag_version = obj.version
            self._check_precondition(obj)
        return obj

    def _lock_row(self) -> None:
        model: type[models.Model] = self.get_queryset().model
        lookup = self.lookup_url_kwarg or self.lookup_field
        if not issubclass(model, VersionedModel) or lookup not in self.kwargs:
            return
        try:
            list(
                model._base_manager.select_for_update()
                .filter(**{self.lookup_field: self.kwargs[lookup]})
                .values_list("pk", flat=True)
            )
        except (TypeError, ValueError, DjangoValidationError):
            return  # not an id at all: `get_object` answers 404

    def _check_precondition(self, obj: VersionedModel) -> None:
        header = self.request.headers.get("If-Match")
        if header is None:
            if settings.BRM_API_REQUIRE_IF_MATCH:
                raise PreconditionRequired(
                    gettext(
                        "Send If-Match: %(etag)s (the ETag of the version you read) with PUT, "
                        "PATCH and DELETE."
                    )
                    % {"etag": etag(obj.version)}
                )
            return
        if not if_match_allows(header, obj.version):
            raise PreconditionFailed(
                gettext(
                    "This %(label)s has changed since you read it: it is now version "
                    "%(version)s (ETag %(etag)s), not %(given)s. Read it again and re-apply "
                    "your change."
                )
                % {
                    "label": obj._meta.verbose_name,
                    "version": obj.version,
                    "etag": etag(obj.version),
                    "given": header.strip(),
                }
            )

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        version = self._etag_version
        if version is None or "ETag" in response:
            return response
        status = response.status_code
        if (status < 300 and self.action in DETAIL_READ_ACTIONS | {"update", "partial_update"}) or (
            status == PreconditionFailed.status_code
        ):
            response["ETag"] = etag(version)
        return response


__all__ = ["VersionedSchema", "VersionedViewSetMixin", "etag", "if_match_allows"]
