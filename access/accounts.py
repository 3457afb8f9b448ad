"""Accounts (账户): who may log in, with which role, on whose behalf.

An enterprise account (项目单位) is bound to one enterprise, a reviewer (审批人员) to one
department, an intermediary (中介机构) to one registered organisation; the other roles (代办员, 监管人员, 管理员) to neither.  :func:`add_user` is the one way
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
from access.password_rules import password_problem
from access.passwords import DUMMY_HASH, hash_password, verify_password
from access.policy import ROLE_LABELS, Action, require
from i18n import Invalid, NotFound
from storage.audit import record
from storage.paging import PageOf, Paging, fetch_page, search_clause

_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")

#: Who creates an enterprise's account when the enterprise registers itself (the public
#: registration page): only an enterprise account, for the enterprise it has just registered.
SELF_REGISTRATION = Actor("self-registration", Role.ENTERPRISE)

# The referenced tables by name only: access sits below approvals (which imports access), so it
# does not import approvals' row classes.
_departments = table("departments", column("code"))
_enterprises = table("enterprises", column("id"))
_intermediaries = table("intermediaries", column("id"))


class AccountError(Invalid):
    """An account was refused; the message names the field (``username: …``)."""


class AccountNotFound(NotFound):
    """No account with that id."""


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
    intermediary_id: int | None = None


def account_fields(user: UserRow) -> dict[str, Any]:
    """An account as the audit trail and the API show it (never the password hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "display_name": user.display_name,
        "enterprise_id": user.enterprise_id,
        "department": user.department,
        "intermediary_id": user.intermediary_id,
        "phone": user.phone,
        "email": user.email,
        "active": user.active,
    }


def add_user(session: Session, actor: Actor, new: NewUser) -> UserRow:
    """An administrator creates an account: checked, stored and audited (``user.create``); the
    caller commits.  With ``actor`` :data:`SELF_REGISTRATION` an enterprise registering itself
    creates its own (enterprise) account this same way.

    Raises
    ------
    AccessForbidden
        When ``actor`` may not manage accounts.
    AccountError
        Naming the field: an unknown department or enterprise, or what :func:`create_user` refuses.
    """
    if actor is SELF_REGISTRATION:
        if new.role != Role.ENTERPRISE or new.enterprise_id is None:
            raise AccountError(
                "role：自助注册只能创建项目单位账户",
                "role: self-registration makes enterprise accounts only",
            )
    else:
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
    if new.intermediary_id is not None and not session.scalar(
        select(_intermediaries.c.id).where(_intermediaries.c.id == new.intermediary_id)
    ):
        raise AccountError(
            f"intermediary_id：中介机构 {new.intermediary_id} 不存在",
            f"intermediary_id: no intermediary organisation {new.intermediary_id}",
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
    if password_hash is None:
        problem = password_problem(new.password or "", username)
        if problem is not None:
            raise AccountError(problem.zh, problem.en)
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
    if role == Role.INTERMEDIARY and new.intermediary_id is None:
        raise AccountError(
            "intermediary_id：中介机构账户须指明所属机构",
            "intermediary_id: required for an intermediary account",
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
        intermediary_id=new.intermediary_id if role == Role.INTERMEDIARY else None,
        phone=new.phone,
        email=new.email,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class UserChanges:
    """What an administrator may change on an account (``None``: unchanged)."""

    display_name: str | None = None
    phone: str | None = None
    email: str | None = None
    department: str | None = None
    active: bool | None = None


def _managed_user(session: Session, actor: Actor, user_id: int) -> UserRow:
    require(actor, Action.USER_MANAGE)
    user = session.get(UserRow, user_id)
    if user is None:
        raise AccountNotFound(f"用户 {user_id} 不存在", f"user {user_id} not found")
    return user


def update_user(session: Session, actor: Actor, user_id: int, changes: UserChanges) -> UserRow:
    """An administrator edits an account (name, contact, a reviewer's department) or disables
    or enables it; audited (``user.update``), the caller commits.  A disabled account cannot log
    in and its tokens are refused (``api.auth``); an administrator cannot disable itself.

    Raises
    ------
    AccountNotFound, AccessForbidden, AccountError
    """
    user = _managed_user(session, actor, user_id)
    before = account_fields(user)
    if changes.display_name is not None:
        name = changes.display_name.strip()
        if not name or len(name) > 100:
            raise AccountError("display_name：1–100 个字符", "display_name: 1–100 characters")
        user.display_name = name
    if changes.phone is not None:
        if len(changes.phone) > 40:
            raise AccountError("phone：不超过 40 个字符", "phone: at most 40 characters")
        user.phone = changes.phone.strip()
    if changes.email is not None:
        email = changes.email.strip()
        if email and not _EMAIL.fullmatch(email):
            raise AccountError("email：电子邮箱格式不正确", "email: not an email address")
        user.email = email
    if changes.department is not None and user.role == Role.REVIEWER:
        if not session.scalar(
            select(_departments.c.code).where(_departments.c.code == changes.department)
        ):
            raise AccountError(
                f"department：未知部门 '{changes.department}'",
                f"department: unknown department '{changes.department}'",
            )
        user.department = changes.department
    if changes.active is not None and changes.active != user.active:
        if user.id == actor.user_id and not changes.active:
            raise AccountError(
                "active：不能停用自己的账户", "active: you cannot disable your own account"
            )
        user.active = changes.active
    session.flush()
    after = account_fields(user)
    if after != before:
        record(
            session,
            actor=actor.username,
            role=actor.role,
            action="user.update",
            entity="user",
            entity_id=user.id,
            before=before,
            after=after,
        )
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str) -> UserRow:
    """An administrator sets a new password on an account (checked like a new one); audited
    (``user.password_reset``, never the password), the caller commits."""
    user = _managed_user(session, actor, user_id)
    problem = password_problem(password, user.username)
    if problem is not None:
        raise AccountError(problem.zh, problem.en)
    user.password_hash = hash_password(password)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="user.password_reset",
        entity="user",
        entity_id=user.id,
    )
    return user


#: The sort keys of the administrator's list of accounts.
USER_SORTS: dict[str, Any] = {
    "username": UserRow.username,
    "display_name": UserRow.display_name,
    "role": UserRow.role,
    "created_at": UserRow.created_at,
    "active": UserRow.active,
}


def user_page(
    session: Session,
    actor: Actor,
    paging: Paging,
    *,
    role: str | None = None,
    active: bool | None = None,
) -> PageOf:
    """One page of the accounts, searched by username, name, phone or email, filtered by role
    and by enabled/disabled (one statement: the page with its count)."""
    require(actor, Action.USER_MANAGE)
    q = select(UserRow)
    if role:
        q = q.where(UserRow.role == role)
    if active is not None:
        q = q.where(UserRow.active.is_(active))
    match = search_clause(
        paging.q, UserRow.username, UserRow.display_name, UserRow.phone, UserRow.email
    )
    if match is not None:
        q = q.where(match)
    return fetch_page(session, q, paging, USER_SORTS, tiebreak=UserRow.id)


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active account with this username and password, or ``None`` (in the same time either
    way: an unknown username still costs one hash verification)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None
