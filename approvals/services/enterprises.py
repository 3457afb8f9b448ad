"""Enterprises (项目单位): registered by the administrator or by themselves (自助注册), each with
a 统一社会信用代码 whose check character is right (:mod:`access.credit_code`).

Self-registration creates the enterprise and its first account in one transaction, the account
through :func:`access.accounts.add_user` like every other account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.accounts import SELF_REGISTRATION, AccountError, NewUser, add_user
from access.actor import Actor, Role
from access.credit_code import credit_code_problem, normalize
from access.orm import UserRow
from access.policy import Action, require
from approvals.errors import ProjectError
from approvals.orm import EnterpriseRow
from storage.audit import record


class EnterpriseInvalid(ProjectError):
    """An enterprise was refused; the message names the field."""


def _checked(session: Session, name: str, credit_code: str) -> tuple[str, str]:
    name = name.strip()
    if not name or len(name) > 200:
        raise EnterpriseInvalid("企业名称：须为 1–200 个字符", "name: 1–200 characters")
    code = normalize(credit_code)
    problem = credit_code_problem(code)
    if problem is not None:
        raise EnterpriseInvalid(f"统一社会信用代码：{problem.zh}", f"credit_code: {problem.en}")
    if session.scalar(select(EnterpriseRow.id).where(EnterpriseRow.credit_code == code)):
        raise EnterpriseInvalid(
            f"统一社会信用代码：{code} 已登记",
            f"credit_code: {code} is already registered",
        )
    return name, code


def add_enterprise(
    session: Session,
    actor: Actor,
    *,
    name: str,
    credit_code: str,
    contact_name: str = "",
    phone: str = "",
) -> EnterpriseRow:
    """Register an enterprise (administrator, or :data:`SELF_REGISTRATION`); audited
    (``enterprise.create``), the caller commits.

    Raises
    ------
    EnterpriseInvalid
        Naming the field: an empty name, a malformed code or a wrong check character, a code
        already registered.
    """
    if actor is not SELF_REGISTRATION:
        require(actor, Action.ENTERPRISE_MANAGE)
    name, code = _checked(session, name, credit_code)
    e = EnterpriseRow(
        name=name, credit_code=code, contact_name=contact_name.strip(), phone=phone.strip()
    )
    session.add(e)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="enterprise.create",
        entity="enterprise",
        entity_id=e.id,
        after={"name": e.name, "credit_code": e.credit_code},
    )
    return e


@dataclass(frozen=True)
class Registration:
    """What an enterprise fills in on the public registration page."""

    name: str
    credit_code: str
    contact_name: str
    phone: str
    username: str
    password: str
    password_again: str
    email: str = ""


def register(session: Session, reg: Registration) -> tuple[EnterpriseRow, UserRow]:
    """An enterprise registers itself and its first account (项目单位 role); the caller commits.

    Raises
    ------
    EnterpriseInvalid, AccountError
        Naming the field (the code's check character, a weak password, a taken username, …).
    """
    if not reg.contact_name.strip():
        raise EnterpriseInvalid("contact_name：请填写联系人", "contact_name: required")
    if not reg.phone.strip():
        raise EnterpriseInvalid("phone：请填写联系电话", "phone: required")
    if reg.password != reg.password_again:
        raise AccountError("确认密码：两次输入的密码不一致", "password_again: does not match")
    e = add_enterprise(
        session,
        SELF_REGISTRATION,
        name=reg.name,
        credit_code=reg.credit_code,
        contact_name=reg.contact_name,
        phone=reg.phone,
    )
    user = add_user(
        session,
        SELF_REGISTRATION,
        NewUser(
            reg.username.strip(),
            reg.password,
            Role.ENTERPRISE,
            display_name=reg.contact_name.strip(),
            enterprise_id=e.id,
            phone=reg.phone.strip(),
            email=reg.email.strip(),
        ),
    )
    return e, user
