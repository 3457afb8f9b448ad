"""What a real counter needs, on a real database (SQLite and PostgreSQL; issue 15): lists searched,
filtered, sorted and paged by the database; 待办 and 已办; accounts (self-registration with a
checked 统一社会信用代码, password rules, agents with their profile, editing, disabling, resetting);
in-app notifications where the events happen."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from access.accounts import (
    AccountError,
    NewUser,
    UserChanges,
    add_user,
    authenticate,
    reset_password,
    update_user,
    user_page,
)
from access.actor import SYSTEM, Actor
from access.notifications import mark_read, notification_page, unread_count
from access.orm import NotificationRow, UserRow
from access.policy import AccessForbidden
from agent_service.errors import AgentInputError
from agent_service.orm import AgentProfileRow
from agent_service.services.meetings import create_meeting
from agent_service.services.profiles import create_agent
from approvals.orm import EnterpriseRow
from approvals.services import clocks, notices, queries, review
from approvals.services.enterprises import (
    EnterpriseInvalid,
    Registration,
    add_enterprise,
    register,
)
from storage.paging import Paging
from tests.integration.test_workflow import MON, file, task_of, upload
from tests.integration.test_workflow import world as world  # the fixture

ADMIN = SYSTEM
GOOD = "91330100716105852F"


def notes(session, user_id):
    return session.scalars(
        select(NotificationRow)
        .where(NotificationRow.user_id == user_id)
        .order_by(NotificationRow.id)
    ).all()


def test_project_lists_are_searched_filtered_sorted_and_paged_in_sql(session, world):
    for i in range(7):
        p = file(session, world)
        p.name = f"列表项目{i}"
    session.commit()
    reg = world["reg"]
    page = queries.project_page(session, reg, Paging(page=1, size=3, sort="name"))
    assert page.total == 7 and page.pages == 3
    assert [p.name for p in page.items] == ["列表项目0", "列表项目1", "列表项目2"]
    last = queries.project_page(session, reg, Paging(page=9, size=3, sort="name", descending=True))
    assert last.page == 3 and [p.name for p in last.items] == ["列表项目0"]  # corrected page
    found = queries.project_page(session, reg, Paging(q="项目4", sort="code"))
    assert [p.name for p in found.items] == ["列表项目4"]
    assert queries.project_page(session, reg, Paging(sort="code"), status="completed").total == 0
    # an enterprise sees only its own
    assert queries.project_page(session, world["other"], Paging(sort="code")).total == 0


def test_todo_and_done_worklists(session, world):
    p = file(session, world)
    upload(session, world, p, "M-form", MON)
    fgw = world["rev"]("fgw")
    todo = clocks.worklist_page(session, fgw, MON, world["cal"], Paging(sort="urgency"))
    assert [r["step_code"] for r in todo.items] == ["A"] and todo.total == 1
    done = clocks.worklist_page(
        session, fgw, MON, world["cal"], Paging(sort="decided_on", descending=True), decided=True
    )
    assert done.total == 0
    a = task_of(session, p, "A")
    review.accept_task(session, fgw, a.id, MON, world["cal"])
    review.approve_task(session, fgw, a.id, MON, world["cal"])
    session.commit()
    todo = clocks.worklist_page(session, fgw, MON, world["cal"], Paging(sort="urgency"))
    assert todo.total == 0
    done = clocks.worklist_page(
        session, fgw, MON, world["cal"], Paging(sort="decided_on"), decided=True
    )
    assert [(r["step_code"], r["status"], r["reviewer"]) for r in done.items] == [
        ("A", "approved", "reviewer-fgw")
    ]
    # another department does not see it; a status outside the list is refused
    assert (
        clocks.worklist_page(
            session, world["rev"]("zrzy"), MON, world["cal"], Paging(sort="urgency"), decided=True
        ).total
        == 0
    )
    with pytest.raises(clocks.WorklistFilterInvalid, match="status"):
        clocks.worklist_page(
            session, fgw, MON, world["cal"], Paging(sort="urgency"), status="approved"
        )


def test_self_registration_creates_the_enterprise_and_its_account(session, world):
    reg = Registration(
        name="杭州示例科技有限公司",
        credit_code=GOOD.lower(),
        contact_name="赵经理",
        phone="0571-88888888",
        username="shili-tech",
        password="Shili-2026-go",
        password_again="Shili-2026-go",
    )
    e, user = register(session, reg)
    session.commit()
    assert (e.credit_code, user.role, user.enterprise_id) == (GOOD, "enterprise", e.id)
    assert authenticate(session, "shili-tech", "Shili-2026-go") is not None
    # the same code again, a wrong check character, a weak password: refused, nothing stored
    count = session.scalar(select(func.count()).select_from(EnterpriseRow))
    for bad, field in [
        ({"username": "other-one"}, "credit_code"),
        ({"credit_code": GOOD[:-1] + "G", "username": "other-one"}, "credit_code"),
        (
            {
                "credit_code": "914403001922038216",
                "password": "12345678",
                "password_again": "12345678",
                "username": "other-one",
            },
            "password",
        ),
        ({"credit_code": "914403001922038216", "password_again": "different-1"}, "password_again"),
        ({"credit_code": "914403001922038216", "username": "admin"}, "username"),
    ]:
        with pytest.raises((EnterpriseInvalid, AccountError)) as err:
            register(session, Registration(**{**reg.__dict__, **bad}))
        assert err.value.text("en").startswith(field), err.value  # the page names it in Chinese
        session.rollback()
    assert session.scalar(select(func.count()).select_from(EnterpriseRow)) == count


def test_the_administrator_registers_enterprises_with_checked_codes(session, world):
    e = add_enterprise(session, ADMIN, name="后来的企业", credit_code="91110000802100433B")
    assert e.id
    with pytest.raises(EnterpriseInvalid, match="校验位"):
        add_enterprise(session, ADMIN, name="x", credit_code="91110000802100433C")
    with pytest.raises(AccessForbidden):
        add_enterprise(session, world["ent"], name="x", credit_code="914403001922038216")


def test_weak_passwords_are_refused_for_new_accounts(session, world):
    for weak in ["12345678", "aaaaaaaa", "password1", "short"]:
        with pytest.raises(AccountError, match=r"^密码："):
            add_user(session, ADMIN, NewUser("weak-user", weak, "regulator"))
        session.rollback()


def test_a_new_agent_gets_its_profile(session, world):
    new = NewUser(
        "agent-new", "Agent-2026-x", "agent", display_name="新代办员", phone="13800000000"
    )
    with pytest.raises(AgentInputError, match="regions"):
        create_agent(session, ADMIN, new, regions=[], industries=[], capacity=5)
    session.rollback()
    with pytest.raises(AgentInputError, match="phone"):
        create_agent(
            session,
            ADMIN,
            NewUser("agent-new", "Agent-2026-x", "agent"),
            regions=["330110"],
            industries=[],
            capacity=5,
        )
    session.rollback()
    user = create_agent(session, ADMIN, new, regions=["330110"], industries=["C34"], capacity=5)
    session.commit()
    profile = session.get(AgentProfileRow, user.id)
    assert (profile.regions, profile.industries, profile.capacity, user.phone) == (
        ["330110"],
        ["C34"],
        5,
        "13800000000",
    )


def test_the_administrator_edits_disables_enables_and_resets_accounts(session, world):
    user = session.scalar(select(UserRow).where(UserRow.username == "regulator1"))
    admin_row = session.scalar(select(UserRow).where(UserRow.username == "admin"))
    admin = Actor("admin", "admin", admin_row.id)
    update_user(session, admin, user.id, UserChanges(display_name="监管员甲", phone="0571-1"))
    update_user(session, admin, user.id, UserChanges(active=False))
    session.commit()
    assert (user.display_name, user.phone, user.active) == ("监管员甲", "0571-1", False)
    assert authenticate(session, "regulator1", "demo-password") is None  # disabled
    update_user(session, admin, user.id, UserChanges(active=True))
    reset_password(session, admin, user.id, "New-pass-2026")
    session.commit()
    assert authenticate(session, "regulator1", "demo-password") is None
    assert authenticate(session, "regulator1", "New-pass-2026") is not None
    with pytest.raises(AccountError, match=r"^密码："):
        reset_password(session, admin, user.id, "12345678")
    session.rollback()
    with pytest.raises(AccountError, match="active"):
        update_user(session, admin, admin_row.id, UserChanges(active=False))
    session.rollback()
    with pytest.raises(AccessForbidden):
        update_user(session, world["reg"], user.id, UserChanges(active=False))
    session.rollback()
    page = user_page(session, admin, Paging(sort="username", q="reviewer"), role="reviewer")
    assert page.total >= 5 and all(u.role == "reviewer" for u in page.items)
    assert user_page(session, admin, Paging(sort="username"), active=False).total == 0


def test_notifications_where_the_events_happen(session, world):
    fgw = world["rev"]("fgw")
    ent = world["ent"]
    p = file(session, world)
    # the task became ready at filing: fgw's reviewer is told, with a link to the task
    a = task_of(session, p, "A")
    told = notes(session, fgw.user_id)
    assert [(n.kind, n.link) for n in told] == [("task_ready", f"/tasks/{a.id}")]
    # 一次性告知补正 → the enterprise
    review.request_intake_corrections(session, fgw, a.id, MON, world["cal"], materials=["M-form"])
    session.commit()
    mine = notes(session, ent.user_id)
    assert [n.kind for n in mine] == ["intake_corrections"]
    assert "M-form" in mine[0].text_zh and mine[0].link == f"/projects/{p.id}"
    assert notes(session, world["other"].user_id) == []  # not another enterprise
    assert unread_count(session, ent.user_id) == 1
    # the enterprise supplies them → the department is told
    upload(session, world, p, "M-form", MON)
    from approvals.services import materials

    materials.resubmit_corrections(session, ent, p.id, a.id, MON, world["cal"])
    session.commit()
    assert [n.kind for n in notes(session, fgw.user_id)] == ["task_ready", "supplied"]
    # marking read: only one's own
    theirs = notes(session, fgw.user_id)[0].id
    assert mark_read(session, ent, [theirs]) == 0
    assert mark_read(session, ent, everything=True) == 1
    session.commit()
    assert unread_count(session, ent.user_id) == 0 and unread_count(session, fgw.user_id) == 2
    page = notification_page(session, ent, Paging(sort="created_at", descending=True))
    assert page.total == 1 and page.items[0].read_at is not None


def test_deadline_notices_are_sent_once_a_day(session, world):
    p = file(session, world)
    upload(session, world, p, "M-form", MON)
    fgw = world["rev"]("fgw")
    a = task_of(session, p, "A")
    review.accept_task(session, fgw, a.id, MON, world["cal"])
    session.commit()
    # A has 2 working days: on the Monday it is within the warning window
    told = notices.deadlines_near(session, MON, world["cal"])
    session.commit()
    assert told >= 1
    assert notices.deadlines_near(session, MON, world["cal"]) == 0  # not twice
    kinds = [n.kind for n in notes(session, fgw.user_id)]
    assert kinds.count("deadline") == 1


def test_meeting_called_tells_the_departments(session, world):
    p = file(session, world)
    admin_row = session.scalar(select(UserRow).where(UserRow.username == "admin"))
    create_meeting(
        session,
        Actor("admin", "admin", admin_row.id),
        p.id,
        title="联合审图协调会",
        held_on=date(2026, 3, 5),
        departments=["zrzy", "sthj"],
    )
    session.commit()
    for dept in ("zrzy", "sthj"):
        kinds = [n.kind for n in notes(session, world["rev"](dept).user_id)]
        assert kinds == ["meeting"], dept
    assert "meeting" not in [n.kind for n in notes(session, world["rev"]("zjj").user_id)]


def test_disabled_users_are_read_by_every_process(engine, session, world):
    """Another process's view (a second ``DisabledUsers``): it learns of a disabled account at
    its next refresh, and of the account enabled again."""
    from api.auth import DisabledUsers
    from storage.engine import make_session_factory

    other = DisabledUsers(make_session_factory(engine))
    other.refresh()
    user = session.scalar(select(UserRow).where(UserRow.username == "agent1"))
    assert user.id not in other
    update_user(session, ADMIN, user.id, UserChanges(active=False))
    session.commit()
    other.refresh()
    assert user.id in other
    update_user(session, ADMIN, user.id, UserChanges(active=True))
    session.commit()
    other.refresh()
    assert user.id not in other
    other.changed(user.id, False)  # this process's own change applies at once
    assert user.id in other
