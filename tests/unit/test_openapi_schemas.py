"""Every 2xx answer in /schema/openapi.json says what it holds: a JSON answer names its fields
(a schema of ``api/schemas``), a file or feed its media type and a description of its own."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from api.settings import Settings

JSON_TYPES = ("application/json", "application/geo+json")
DEFAULT_DESCRIPTION = "Request fulfilled, document follows"
#: JSON answers whose body is a signed document sent as its exact bytes (no fixed fields).
FREE_FORM = {"getCommitmentCanonicalBytes"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite:///:memory:"), migrate=False)
    return app.openapi_schema.to_schema()


def _operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield f"{method.upper()} {path} ({op.get('operationId')})", op


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether ``schema`` is an object with declared fields (or a list or map of such)."""
    if "$ref" in schema:
        return _fields(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if schema.get("type") == "array":
        return _fields(schema.get("items", {}), components)
    if isinstance(schema.get("additionalProperties"), dict):
        return _fields(schema["additionalProperties"], components)
    if "oneOf" in schema or "anyOf" in schema:
        return all(_fields(s, components) for s in schema.get("oneOf", schema.get("anyOf")))
    return bool(schema.get("properties"))


def test_every_2xx_answer_has_a_schema(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    missing = []
    for name, op in _operations(document):
        answers = {c: r for c, r in op["responses"].items() if c.startswith("2")}
        if not answers:
            missing.append(f"{name}: no 2xx answer")
        for code, answer in answers.items():
            content = answer.get("content") or {}
            if code == "204":
                continue
            if not content:
                missing.append(f"{name} {code}: no content")
            for media_type, body in content.items():
                if media_type in JSON_TYPES:
                    if op.get("operationId") in FREE_FORM:
                        continue
                    if not _fields(body.get("schema") or {}, components):
                        missing.append(f"{name} {code}: {media_type} without fields")
                elif answer.get("description") == DEFAULT_DESCRIPTION:
                    missing.append(f"{name} {code}: {media_type} without a description")
    assert not missing, "\n".join(missing)


def test_the_answer_schemas_are_counted(document: dict[str, Any]) -> None:
    """The check above walks every operation (a guard against walking nothing)."""
    assert sum(1 for _ in _operations(document)) >= 90
