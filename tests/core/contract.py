"""The published OpenAPI schema as a test oracle: validate a response body against the schema
of its operation and status (OpenAPI 3.0 semantics: `nullable`, `readOnly`, formats), strictly
(an undocumented field fails). Used by tests/core/test_api_contract.py and test_api_errors.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_schema_validator import OAS30ReadValidator


def published_schema() -> dict[str, Any]:
    """The schema `/api/schema/` serves, as JSON (generated the same way, no request needed)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    document: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(schema))
    return document


def strict(node: Any) -> Any:
    """The schema as the test reads it:

    - `additionalProperties: false` on every object that lists its properties and says nothing
      else, so a field the schema does not name fails too;
    - `nullable: true` next to `allOf`/`oneOf` (drf-spectacular's nullable nested object or
      enum, read as "this or null" by client generators) allows null; OpenAPI 3.0.3 applies
      `nullable` only with a `type` in the same object, which the validator follows literally.
    """
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out and "allOf" not in out:
            out["additionalProperties"] = False
        if out.get("nullable") is True and "type" not in out:
            composite = {k: v for k, v in out.items() if k in {"allOf", "oneOf", "anyOf"}}
            if composite:
                rest = {k: v for k, v in out.items() if k not in composite and k != "nullable"}
                return {**rest, "anyOf": [composite, {"enum": [None]}]}
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


class Contract:
    """The published schema and a validator per (path, method, status)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.components = strict(copy.deepcopy(schema["components"]))
        self.validators: dict[tuple[str, str, int], OAS30ReadValidator | None] = {}

    def operation(self, path: str, method: str = "get") -> dict[str, Any]:
        operation: dict[str, Any] = self.schema["paths"][path][method]
        return operation

    def body_schema(self, path: str, method: str, status: int) -> dict[str, Any] | None:
        responses = self.operation(path, method)["responses"]
        response = responses.get(str(status))
        assert response is not None, f"{method.upper()} {path}: {status} is not documented"
        content = response.get("content")
        if content is None:
            return None
        assert "application/json" in content, f"{method.upper()} {path} {status}: {content}"
        schema: dict[str, Any] = content["application/json"]["schema"]
        return schema

    def errors(self, path: str, method: str, status: int, body: Any) -> list[str]:
        """Every way `body` breaks the documented schema, as 'pointer: message' lines."""
        key = (path, method, status)
        if key not in self.validators:
            schema = self.body_schema(path, method, status)
            root = {"allOf": [strict(schema)], "components": self.components}
            self.validators[key] = (
                None
                if schema is None
                else OAS30ReadValidator(root, format_checker=OAS30ReadValidator.FORMAT_CHECKER)
            )
        validator = self.validators[key]
        if validator is None:
            return [] if body in (None, b"", "") else [f"{status} has no documented body"]
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message[:300]}"
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        ]

    def get_paths(self) -> list[str]:
        return sorted(p for p, ops in self.schema["paths"].items() if "get" in ops)
