"""Login and the caller."""

from __future__ import annotations

import msgspec

from api.schemas.common import Out


class TokenOut(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    role: str
    username: str
    display_name: str


class MeOut(Out):
    id: int
    username: str
    role: str
    role_name: str
    role_name_en: str
    display_name: str
    enterprise_id: int | None
    department: str | None
