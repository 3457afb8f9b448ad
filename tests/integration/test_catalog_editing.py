"""Catalogue editing on a real database (SQLite and PostgreSQL): an edit is a new version, the old
one untouched; a project filed before keeps its version's days and materials, a new filing uses
the new ones; bad input is refused naming the item and the field with nothing stored; an earlier
version can be made active again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.catalog_edit import ItemEdit, MaterialEdit
from approvals.errors import CatalogError
from approvals.orm import CatalogVersionRow, ProjectRow, TaskRow
from approvals.samples import sample_project_doc
from approvals.service import active_catalogue, ensure_default_catalogue, work_calendar
from approvals.services import catalog_editing, filing
from approvals.services.queries import project_catalogue
from i18n import Conflict
from storage.audit import AuditRow

FILED = date(2026, 11, 2)


def actor(accounts, username: str) -> Actor:
    u = accounts.users[username]
    return Actor(u.username, u.role, u.id, u.department, u.enterprise_id)


@pytest.fixture
def world(session):
    accounts = seed_demo_accounts(session)
    ensure_default_catalogue(session)
    session.commit()
    return accounts


def file(session, who: Actor, name: str) -> ProjectRow:
    project = filing.file_project(
        session,
        who,
        work_calendar(session),
        name=name,
        attributes=sample_project_doc()["attributes"],
        filed_on=FILED,
        plot_code=None,
    )
    session.commit()
    return project


def edit_of(item: dict, **changes) -> ItemEdit:
    fields = {
        "name": item["name"],
        "department": item["department"],
        "days": item["days"],
        "statutory_days": item.get("statutory_days"),
        "legal_basis": item.get("legal_basis", ""),
        "materials": tuple(MaterialEdit(m["code"], m["name"]) for m in item.get("materials") or ()),
        **changes,
    }
    return ItemEdit(**fields)


def counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(CatalogVersionRow)),
        session.scalar(select(func.count()).select_from(AuditRow)),
    )


def test_an_edit_is_a_new_version_and_an_earlier_project_keeps_its_own(session, world):
    admin, ent = actor(world, "admin"), actor(world, "enterprise1")
    old = file(session, ent, "改版前的项目")
    old_catalog = old.catalog_id
    item = catalog_editing.item_of(session, "S1-01")
    assert item["days"] == 1 and item["materials"][0]["code"] == "M-filing-form"
    old_doc = session.get(CatalogVersionRow, old_catalog).document

    row = catalog_editing.edit_item(
        session,
        admin,
        "S1-01",
        edit_of(
            item,
            days=4,
            materials=(
                MaterialEdit("M-filing-form", "投资项目备案申请表"),
                MaterialEdit("M-site-photo", "项目选址照片"),
            ),
        ),
    )
    session.commit()
    assert row.id != old_catalog and row.active
    assert not session.get(CatalogVersionRow, old_catalog).active
    # the old version's document is unchanged
    session.expire_all()
    assert session.get(CatalogVersionRow, old_catalog).document == old_doc
    assert active_catalogue(session).items["S1-01"].days == 4

    # the project filed before still reads its own version
    session.expire_all()
    old = session.get(ProjectRow, old.id)
    assert old.catalog_id == old_catalog
    mine = project_catalogue(session, old)
    assert mine.items["S1-01"].days == 1
    assert [m.name for m in mine.items["S1-01"].materials] == ["企业投资项目备案信息表"]
    old_task = session.scalar(
        select(TaskRow).where(TaskRow.project_id == old.id, TaskRow.step_code == "S1-01")
    )
    assert old_task is not None and old_task.days == 1

    new = file(session, ent, "改版后的项目")
    assert new.catalog_id == row.id
    theirs = project_catalogue(session, new)
    assert theirs.items["S1-01"].days == 4
    assert [m.code for m in theirs.items["S1-01"].materials] == ["M-filing-form", "M-site-photo"]

    # the versions list: who, what changed, how many projects
    versions = catalog_editing.list_versions(session, admin)
    assert versions[0].id == row.id and versions[0].loaded_by == "admin"
    assert versions[0].diff.changed == (("S1-01", ("days", "materials")),)
    assert versions[0].projects == 1 and versions[1].projects == 1
    audit = session.scalars(select(AuditRow).where(AuditRow.action == "catalog.edit")).all()
    assert len(audit) == 1 and audit[0].after["days"] == 4
    assert audit[0].after["materials"] == ["投资项目备案申请表", "项目选址照片"]
    assert audit[0].before["days"] == 1 and "修改 S1-01" in audit[0].after["changes"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"days": -3}, "事项 S1-01「企业投资项目备案（赋码）」的承诺时限：不能为负数（-3）"),
        ({"days": 25}, "的法定时限：法定时限 20 天少于承诺时限 25 天"),
        ({"department": "nowhere"}, "的承办部门：未知部门 nowhere"),
        (
            {"materials": (MaterialEdit("M-a", "甲"), MaterialEdit("M-a", "乙"))},
            "的申请材料：材料编号 M-a 重复",
        ),
        ({"requires": ("S1-03",)}, "前置条件成环"),
        ({"requires": ("S9-99",)}, "S9-99"),
    ],
)
def test_bad_edits_are_refused_by_item_and_field_with_nothing_stored(
    session, world, changes, expected
):
    admin = actor(world, "admin")
    before = counts(session)
    active = ensure_default_catalogue(session).id
    item = catalog_editing.item_of(session, "S1-01")
    with pytest.raises(CatalogError) as e:
        catalog_editing.edit_item(session, admin, "S1-01", edit_of(item, **changes))
    session.rollback()
    assert expected in " ".join(p.zh for p in e.value.problems)
    assert "S1-01" in e.value.text("zh") or "S1-0" in e.value.text("zh")
    assert counts(session) == before
    assert ensure_default_catalogue(session).id == active


def test_adding_an_item_and_reactivating_an_earlier_version(session, world):
    admin = actor(world, "admin")
    first = ensure_default_catalogue(session).id
    row = catalog_editing.add_item(
        session,
        admin,
        "S1-99",
        ItemEdit(
            "企业投资项目信息补录",
            "fgw",
            2,
            5,
            "测试依据",
            (MaterialEdit("M-extra", "补录表"),),
            requires=("S1-01",),
            stage=1,
        ),
    )
    session.commit()
    assert "S1-99" in active_catalogue(session).items
    assert catalog_editing.list_versions(session, admin)[0].diff.added == ("S1-99",)
    with pytest.raises(CatalogError) as e:
        catalog_editing.add_item(
            session, admin, "S1-99", ItemEdit("重复", "fgw", 1, None, "", (), stage=1)
        )
    session.rollback()
    assert "事项编号 S1-99 已存在" in e.value.text("zh")
    # an edit made on a page opened before the last change: refused as out of date
    stale = catalog_editing.item_of(session, "S1-01")
    with pytest.raises(Conflict) as c:
        catalog_editing.edit_item(session, admin, "S1-01", edit_of(stale, days=2), base_id=first)
    session.rollback()
    assert "页面已过期" in c.value.text("zh") and row.version in c.value.text("zh")

    catalog_editing.activate_version(session, admin, first)
    session.commit()
    assert ensure_default_catalogue(session).id == first
    assert not session.get(CatalogVersionRow, row.id).active
    assert "S1-99" not in active_catalogue(session).items
    actions = set(session.scalars(select(AuditRow.action).where(AuditRow.entity == "catalog")))
    assert {"catalog.add_item", "catalog.activate"} <= actions
