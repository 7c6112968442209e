"""What the OpenAPI schema says about errors, once for every operation of the API.

The error bodies are the ones `brm.core.api.exception_handler` sends (DRF's shape):

- `ErrorSerializer` (component `Error`): `{"detail": "..."}` for 401, 403, 404, 409, 412, 428,
  429.
- `ValidationErrorSerializer` (component `ValidationError`): 400, `{"field": ["message", ...]}`,
  where a nested object or list of objects carries its own field errors, errors that belong to
  no field are under `non_field_errors` (or, from model and database checks, `detail` as a
  list), and a body that cannot be read is `{"detail": "..."}`.

`AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds them to each operation by what the
operation can meet, so no viewset declares them by hand:

| code | when documented |
|---|---|
| 400 | a write (POST, PUT, PATCH), or a GET with filter or ordering parameters |
| 401, 403, 429 | every operation that needs a login (all of `/api/v1/`); 429: wrong tokens |
| 404 | a path with an id, or a paginated list (a page past the end) |
| 409 | a write or a DELETE: the record's state forbids it now, or others still refer to it |
| 412, 428 | PUT, PATCH, DELETE: `If-Match` is stale (412) or missing where required (428) |

429 answers wrong tokens from an address or key id locked out for guessing (django-axes).

A response an operation declares with a body keeps it; one declared without a body (`None`)
gets the shared body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

ERROR_DESCRIPTIONS = {
    "400": "The input is not valid: the messages per field say why.",
    "401": "No valid credentials: send `Authorization: Bearer <token>` or log in.",
    "403": "Your role may not do this.",
    "404": "No such record, or one you may not see (or a page past the end of a list).",
    "409": "The record's current state does not allow this, or other records still use it.",
    "412": "`If-Match` names an older version: someone changed the record meanwhile.",
    "428": "This server requires `If-Match` (the `ETag` of the version you edited).",
    "429": "Too many wrong tokens from this address or for this key id: wait for the cool-off.",
}

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
VERSIONED_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
# Query parameters that never make a request invalid: a bad `page_size` falls back to the
# default, `search` takes any text, and a bad `page` is a 404 (documented for lists).
HARMLESS_QUERY = frozenset({"page", "page_size", "search"})


class ErrorSerializer(serializers.Serializer[Any]):
    """`{"detail": "..."}`: what went wrong, in a sentence (401, 403, 404, 409, 412, 428, 429)."""

    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


class ValidationErrorSerializer(serializers.Serializer[Any]):
    """400: `{"field": ["message", ...]}`; its schema is `ValidationErrorSchema`'s."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    """The 400 body: field name to messages, recursively for nested objects and lists.

    `{"title": ["This field is required."], "questions": [{}, {"text": ["..."]}]}`; errors of
    the whole object are under `non_field_errors`; an unreadable body is `{"detail": "..."}`.
    """

    target_class = ValidationErrorSerializer

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return "ValidationError"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        messages = ResolvedComponent(
            name="ValidationErrorMessages",
            type=ResolvedComponent.SCHEMA,
            object="ValidationErrorMessages",
            schema={
                "description": (
                    "The messages of one field: a list of strings; for a nested object, its "
                    "own field errors; for a list of objects, one entry per item."
                ),
                "anyOf": [
                    {
                        "type": "array",
                        "items": {
                            "anyOf": [
                                {"type": "string"},
                                {"$ref": "#/components/schemas/ValidationError"},
                            ]
                        },
                    },
                    {"$ref": "#/components/schemas/ValidationError"},
                ],
            },
        )
        auto_schema.registry.register_on_missing(messages)
        return {
            "type": "object",
            "description": "Messages per field name (DRF's shape).",
            "properties": {
                api_settings.NON_FIELD_ERRORS_KEY: {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Errors of the input as a whole, not of one field.",
                },
                "detail": {
                    "description": (
                        "The body could not be read (malformed or too deeply nested): one "
                        "message; or errors of no one field the model or database found: a list."
                    ),
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string"}},
                    ],
                },
            },
            "additionalProperties": messages.ref,
        }


def error_codes(method: str, operation: dict[str, Any], needs_login: bool) -> list[str]:
    """The error status codes (strings, ascending) an operation can answer; see the module."""
    params = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in params)
    query = {p["name"] for p in params if p.get("in") == "query"}
    codes: set[str] = set()
    if method in WRITE_METHODS or query - HARMLESS_QUERY:
        codes.add("400")
    if needs_login:
        codes |= {"401", "403", "429"}
    if in_path or "page" in query:
        codes.add("404")
    if method in WRITE_METHODS or method == "DELETE":
        codes.add("409")
    if method in VERSIONED_METHODS:
        codes |= {"412", "428"}
    return sorted(codes)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the error responses of `error_codes`, with bodies."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in error_codes(self.method, operation, self._needs_login()):
            declared = responses.get(code)
            if declared is not None and "content" in declared:
                continue  # the view documents its own body for this code
            body = ValidationErrorSerializer if code == "400" else ErrorSerializer
            description = (declared or {}).get("description") or ERROR_DESCRIPTIONS[code]
            if description == "No response body":
                description = ERROR_DESCRIPTIONS[code]
            responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                OpenApiResponse(body, description=description), code
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _needs_login(self) -> bool:
        return not any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())


__all__ = ["AutoSchema", "ErrorSerializer", "ValidationErrorSerializer", "error_codes"]
