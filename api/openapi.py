"""OpenAPI helpers: the problem schema and the status codes each operation documents."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details; ``detail`` names the culprit in the caller's language."""

    type: str = "about:blank"
    status: int
    title: str
    detail: str
    errors: list[Any] | None = None
    #: a refused filing: what is wrong, by field key (``investment``, ``plot``, ...)
    fields: dict[str, str] | None = None


DESCRIPTIONS = {
    400: "请求格式错误 Malformed request (the message names the field)",
    401: "未登录、令牌过期或无效 Not authenticated, or the token is expired or invalid",
    403: "角色无权执行 The caller's role does not allow this",
    404: "不存在或不可见 Not found (or not visible to the caller)",
    409: "与当前状态冲突（过期版本、状态不允许）Conflict: stale version or state does not allow it",
    413: "请求体过大 Payload too large",
    422: "内容无法处理（字段、材料、问卷答案等）Unprocessable: names the field, material or answer",
    429: "请求过于频繁 Too many requests",
    503: "数据库暂不可用，请稍后重试 The database is unavailable; retry (Retry-After)",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error answers of an operation (503 always: the database may be down)."""
    codes = tuple(sorted({*codes, 503}))
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=DESCRIPTIONS[code],
            media_type="application/problem+json",
        )
        for code in codes
    }


#: The codes of an authenticated read, and of an authenticated write.
READ = (400, 401, 403, 404, 503)
WRITE = (400, 401, 403, 404, 409, 413, 422, 503)


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Document ``forbid_unknown_fields`` structs as ``additionalProperties: false``: they refuse
    unknown fields (with a message naming them), so the schema must say so."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            target = (
                schema_creator.schema_registry.from_reference(schema).schema
                if hasattr(schema, "ref")
                else schema
            )
            target.additional_properties = False
        return schema
