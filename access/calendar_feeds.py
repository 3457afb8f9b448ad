"""Calendar subscription links (日程订阅): a per-user secret URL a calendar app can poll without a
session, revocable from the agent's page.

The link's token is ``HMAC-SHA256(signing key, nonce)``; the database keeps the random nonce and
the token's SHA-256 only, so a copy of the database alone cannot forge or recover a link, while
the page can show the user their current link again.  "New link" replaces the nonce: the old URL
answers 404 from then on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from access.orm import UserRow
from storage.base import Base, UTCDateTime, utcnow

FEED_PATH = "/calendar-feeds/"


class CalendarFeedRow(Base):
    """A user's current calendar subscription link (one at most; absent once revoked)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _token(secret: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), f"calendar-feed:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(session: Session, user_id: int, secret: str) -> str | None:
    """The user's current token, or ``None`` when they have no link."""
    row = session.scalar(select(CalendarFeedRow).where(CalendarFeedRow.user_id == user_id))
    return _token(secret, row.nonce) if row else None


def renew_feed(
    session: Session, user_id: int, secret: str, *, revoke_only: bool = False
) -> str | None:
    """Revoke the user's link and (unless ``revoke_only``) make a new one; returns the new token."""
    row = session.scalar(select(CalendarFeedRow).where(CalendarFeedRow.user_id == user_id))
    if row is not None:
        session.delete(row)
        session.flush()
    if revoke_only:
        return None
    nonce = secrets.token_urlsafe(24)
    token = _token(secret, nonce)
    session.add(CalendarFeedRow(user_id=user_id, nonce=nonce, token_sha256=_digest(token)))
    session.flush()
    return token


def feed_owner(session: Session, token: str) -> UserRow | None:
    """The active user whose link ``token`` is, if any."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(CalendarFeedRow).where(CalendarFeedRow.token_sha256 == _digest(token))
    )
    if row is None:
        return None
    user = session.get(UserRow, row.user_id)
    return user if user is not None and user.active else None
