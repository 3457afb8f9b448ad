"""Creating accounts (the one use case behind ``POST /api/users`` and ``/admin/users``), logging in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from access.accounts import AccountError, NewUser, add_user, authenticate
from access.actor import SYSTEM, Actor, Role
from access.policy import AccessForbidden
from api.seed import DEMO_PASSWORD, seed_demo_accounts
from storage.audit import AuditRow

ADMIN = Actor("admin", Role.ADMIN, 1)


@pytest.fixture
def accounts(session):
    return seed_demo_accounts(session)


def test_an_administrator_creates_a_reviewer_and_the_audit_names_every_field(session, accounts):
    user = add_user(
        session,
        ADMIN,
        NewUser("reviewer-new", "long-enough", "reviewer", department="fgw", phone="0571-1"),
    )
    session.commit()
    assert (user.role, user.department, user.enterprise_id) == ("reviewer", "fgw", None)
    assert user.display_name == "reviewer-new"  # defaults to the username
    assert user.password_hash != "long-enough"
    entry = session.scalar(select(AuditRow).where(AuditRow.action == "user.create"))
    assert (entry.actor, entry.role, entry.entity, entry.entity_id) == (
        "admin",
        "admin",
        "user",
        str(user.id),
    )
    assert entry.after == {
        "username": "reviewer-new",
        "role": "reviewer",
        "display_name": "reviewer-new",
        "enterprise_id": None,
        "department": "fgw",
        "intermediary_id": None,
        "phone": "0571-1",
        "email": "",
        "active": True,
    }
    assert authenticate(session, "reviewer-new", "long-enough").id == user.id
    assert authenticate(session, "reviewer-new", "wrong-password") is None
    assert authenticate(session, "nobody", "long-enough") is None


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (NewUser("ab", "long-enough", "agent"), "username"),
        (NewUser("with space", "long-enough", "agent"), "username"),
        (NewUser("agent-new", "short", "agent"), "password"),
        (NewUser("agent-new", "long-enough", "visitor"), "role"),
        (NewUser("ent-new", "long-enough", "enterprise"), "enterprise_id"),
        (NewUser("rev-new", "long-enough", "reviewer"), "department"),
        (NewUser("rev-new", "long-enough", "reviewer", department="nope"), "department"),
        (NewUser("ent-new", "long-enough", "enterprise", enterprise_id=999_999), "enterprise_id"),
        (NewUser("admin", "long-enough", "admin"), "username"),  # taken by the demo
    ],
)
def test_a_refused_account_names_its_field_and_writes_nothing(session, accounts, new, field):
    before = session.scalar(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1))
    with pytest.raises(AccountError) as refused:
        add_user(session, ADMIN, new)
    assert refused.value.text("en").startswith(f"{field}:")
    # the Chinese message names the field as the form labels it, not by its code
    label = {"username": "用户名", "password": "密码", "role": "角色", "department": "部门"}
    assert refused.value.text("zh").startswith(f"{label.get(field, '企业')}：")
    after = session.scalar(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1))
    assert after == before


def test_only_an_administrator_creates_accounts(session, accounts):
    enterprise = accounts.users["enterprise1"]
    who = Actor(
        "enterprise1", Role.ENTERPRISE, enterprise.id, enterprise_id=enterprise.enterprise_id
    )
    with pytest.raises(AccessForbidden):
        add_user(session, who, NewUser("sneaky", "long-enough", "admin"))
    assert add_user(session, SYSTEM, NewUser("by-system", "long-enough", "regulator")).id


def test_the_demo_accounts_log_in_with_the_demo_password(session, accounts):
    assert authenticate(session, "enterprise1", DEMO_PASSWORD).role == "enterprise"
    accounts.users["enterprise1"].active = False
    assert authenticate(session, "enterprise1", DEMO_PASSWORD) is None
