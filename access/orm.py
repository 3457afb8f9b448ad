"""The access tables: accounts, the app's own secrets, failed logins.

Table names and columns are those of the migrations (``users``, ``app_secrets``,
``login_failures``); only the Python home of the classes moved here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage import versions
from storage.base import Base, UTCDateTime, utcnow


class UserRow(Base):
    """An account (账户): one role; an enterprise account names its enterprise, a reviewer its
    department, an intermediary its organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), nullable=True)
    #: an intermediary's organisation (中介机构), registered by the administrator
    intermediary_id: Mapped[int | None] = mapped_column(
        ForeignKey("intermediaries.id"), nullable=True
    )
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppSecretRow(Base):
    """Secrets the app generates for itself (e.g. the token signing key when none is configured),
    shared by every worker process through the database."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoginFailureRow(Base):
    """One failed login of a key (client address and username), counted by the login limiter."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRow(Base):
    """An in-app message (站内消息) to one user: what needs them, where to act, whether read.

    ``dedupe_key`` (unique per user) makes a repeated event — the daily deadline scan run twice,
    a retried job — notify once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# a user created, edited, disabled or enabled changes the cache version: every process then
# reads the disabled accounts again (api.auth.DisabledUsers), at most one poll later
versions.watch(UserRow.__tablename__)
