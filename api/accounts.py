"""Accounts and roles: who may log in, with which role, on whose behalf.

Roles (角色): ``enterprise`` (项目单位, bound to one enterprise), ``agent`` (代办员), ``reviewer``
(审批人员, bound to one department), ``regulator`` (监管部门), ``admin`` (行政服务中心).
Passwords are hashed with argon2 (argon2-cffi); only the hash is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, UTCDateTime, utcnow

Role = Literal["enterprise", "agent", "reviewer", "regulator", "admin"]
ROLES: dict[str, tuple[str, str]] = {
    "enterprise": ("项目单位", "enterprise"),
    "agent": ("代办员", "proxy agent"),
    "reviewer": ("审批人员", "department reviewer"),
    "regulator": ("监管人员", "regulator"),
    "admin": ("管理员", "administrator"),
}

#: argon2id at the OWASP Password Storage Cheat Sheet's configuration (19 MiB, 2 iterations, 1
#: lane): ~18 ms a login on this hardware instead of ~100 ms with argon2-cffi's defaults, which
#: made a morning's wave of logins the slowest thing the server does.  Stored hashes carry their
#: own parameters, so hashes made with other settings still verify.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A valid hash to verify against when the user does not exist, so that a wrong username costs
# the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), nullable=True)
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


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as handlers see it."""

    user_id: int
    username: str
    role: str
    display_name: str = ""
    enterprise_id: int | None = None
    department: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def principal_of(user: UserRow) -> Principal:
    return Principal(
        user.id, user.username, user.role, user.display_name, user.enterprise_id, user.department
    )


def signing_key(session: Session, configured: str | None) -> str:
    """The configured secret, or one generated once and kept in the database."""
    if configured:
        return configured
    row = session.get(AppSecretRow, "token_signing_key")
    if row is None:
        row = AppSecretRow(name="token_signing_key", value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value


class AccountError(Exception):
    """Raised by :func:`create_user`; wrapped by callers into their error family."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    enterprise_id: int | None = None,
    department: str | None = None,
    phone: str = "",
    email: str = "",
    password_hash: str | None = None,
) -> UserRow:
    """Create an account after checking it; the caller commits.  ``password_hash`` may carry
    a hash made beforehand (the demo hashes its shared password once).

    Raises
    ------
    AccountError
        Naming the field: a malformed or taken username, a short password, an unknown role, an
        enterprise account without its enterprise, a reviewer without its department.
    """
    import re

    if not re.fullmatch(r"[A-Za-z0-9_.@-]{3,64}", username or ""):
        raise AccountError("username: 3–64 letters, digits, _ . @ -")
    if len(password or "") < 8:
        raise AccountError("password: at least 8 characters")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    if role == "enterprise" and enterprise_id is None:
        raise AccountError("enterprise_id: required for an enterprise account")
    if role == "reviewer" and not department:
        raise AccountError("department: required for a reviewer account")
    if session.scalar(select(UserRow.id).where(UserRow.username == username)):
        raise AccountError(f"username: '{username}' is taken")
    user = UserRow(
        username=username,
        password_hash=password_hash or hash_password(password),
        role=role,
        display_name=display_name or username,
        enterprise_id=enterprise_id if role == "enterprise" else None,
        department=department if role == "reviewer" else None,
        phone=phone,
        email=email,
    )
    session.add(user)
    session.flush()
    return user
