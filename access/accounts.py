"""Accounts (账户): who may log in, with which role, on whose behalf.

An enterprise account (项目单位) is bound to one enterprise, a reviewer (审批人员) to one
department; the other roles (代办员, 监管人员, 管理员) to neither.  :func:`add_user` is the one way
an administrator creates an account — the API and the pages both call it, so both validate the
same way and write the same audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from access.actor import Actor, Role
from access.orm import UserRow
from access.passwords import DUMMY_HASH, hash_password, verify_password
from access.policy import ROLE_LABELS, Action, require
from i18n import Invalid
from storage.audit import record

_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
_MIN_PASSWORD = 8

# The referenced tables by name only: access sits below approvals (which imports access), so it
# does not import approvals' row classes.
_departments = table("departments", column("code"))
_enterprises = table("enterprises", column("id"))


class AccountError(Invalid):
    """An account was refused; the message names the field (``username: …``)."""


@dataclass(frozen=True)
class NewUser:
    """What an administrator fills in to create an account."""

    username: str
    password: str
    role: str
    display_name: str = ""
    enterprise_id: int | None = None
    department: str | None = None
    phone: str = ""
    email: str = ""


def account_fields(user: UserRow) -> dict[str, Any]:
    """An account as the audit trail and the API show it (never the password hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "display_name": user.display_name,
        "enterprise_id": user.enterprise_id,
        "department": user.department,
        "phone": user.phone,
        "email": user.email,
        "active": user.active,
    }


def add_user(session: Session, actor: Actor, new: NewUser) -> UserRow:
    """An administrator creates an account: checked, stored and audited (``user.create``); the
    caller commits.

    Raises
    ------
    AccessForbidden
        When ``actor`` may not manage accounts.
    AccountError
        Naming the field: an unknown department or enterprise, or what :func:`create_user` refuses.
    """
    require(actor, Action.USER_MANAGE)
    if new.department and not session.scalar(
        select(_departments.c.code).where(_departments.c.code == new.department)
    ):
        raise AccountError(
            f"部门：未知部门“{new.department}”",
            f"department: unknown department '{new.department}'",
        )
    if new.enterprise_id is not None and not session.scalar(
        select(_enterprises.c.id).where(_enterprises.c.id == new.enterprise_id)
    ):
        raise AccountError(
            f"企业：企业 {new.enterprise_id} 不存在",
            f"enterprise_id: no enterprise {new.enterprise_id}",
        )
    user = create_user(session, new)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after=account_fields(user),
    )
    return user


def create_user(session: Session, new: NewUser, *, password_hash: str | None = None) -> UserRow:
    """Store an account after checking its fields (no audit: the seed and :func:`add_user` call
    it); the caller commits.  ``password_hash`` may carry a hash made beforehand (the demo hashes
    its shared password once).

    Raises
    ------
    AccountError
        Naming the field: a malformed or taken username, a short password, an unknown role, an
        enterprise account without its enterprise, a reviewer without its department.
    """
    username, role = new.username or "", new.role
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "用户名：3–64 个字母、数字或 _ . @ -", "username: 3–64 letters, digits, _ . @ -"
        )
    if len(new.password or "") < _MIN_PASSWORD:
        raise AccountError("密码：至少 8 个字符", "password: at least 8 characters")
    if role not in set(Role):
        roles = ", ".join(Role)
        labels = "、".join(ROLE_LABELS[r][0] for r in Role if r in ROLE_LABELS)
        raise AccountError(f"角色：须为{labels}之一", f"role: one of {roles}")
    if role == Role.ENTERPRISE and new.enterprise_id is None:
        raise AccountError(
            "企业：项目单位账户须指明企业",
            "enterprise_id: required for an enterprise account",
        )
    if role == Role.REVIEWER and not new.department:
        raise AccountError(
            "部门：审批人员账户须指明部门", "department: required for a reviewer account"
        )
    if session.scalar(select(UserRow.id).where(UserRow.username == username)):
        raise AccountError(f"用户名：“{username}”已被占用", f"username: '{username}' is taken")
    user = UserRow(
        username=username,
        password_hash=password_hash or hash_password(new.password),
        role=str(role),
        display_name=new.display_name or username,
        enterprise_id=new.enterprise_id if role == Role.ENTERPRISE else None,
        department=new.department if role == Role.REVIEWER else None,
        phone=new.phone,
        email=new.email,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active account with this username and password, or ``None`` (in the same time either
    way: an unknown username still costs one hash verification)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None
