"""Idempotency keys: a repeated POST with the same ``Idempotency-Key`` acts once.

The first request stores its response beside the key in the same transaction as its effects; a
repeat (by the same caller, on the same operation, with the same body) gets that response back
without acting again.  Concurrent repeats meet at the key's primary key: the loser waits for the
winner's transaction, then replays its stored response.  This is the table; the HTTP side is
``api.routes.common.idempotent``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONDoc, UTCDateTime, utcnow


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "<user id>:<key>"
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
