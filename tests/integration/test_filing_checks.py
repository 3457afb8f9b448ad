"""Filing checks and the 一次告知 preview on a real database (SQLite and PostgreSQL): the preview
is the plan filing stores (the plot's zone waives and reduces items), impossible figures and
unfileable plots are refused field by field with nothing stored, and loading a holiday
arrangement re-plans the open projects with 节假日安排更新 as the reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from access.actor import Actor
from api.demo import sample_registry_files
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.errors import FilingInvalid
from approvals.orm import PlanChangeRow, ProjectRow
from approvals.samples import sample_project_doc
from approvals.service import ensure_default_catalogue, load_calendar_arrangement, work_calendar
from approvals.services import filing, progress
from landplots.orm import PlotRow
from landplots.services import importing, index_cache, registry

FILED = date(2026, 11, 2)  # a plan filed now reaches 2027, whose arrangement is not loaded
ARRANGEMENT_2027 = {
    "year": 2027,
    "source": "测试：2027年节假日安排",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},  # Friday 1 January off
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-18"},
    ],
    "workdays": [],
}


def actor(accounts, username: str) -> Actor:
    u = accounts.users[username]
    return Actor(u.username, u.role, u.id, u.department, u.enterprise_id)


@pytest.fixture
def world(session):
    zones, plots_file = sample_registry_files()
    importing.import_zones_file(session, zones)
    importing.import_file(session, plots_file)
    accounts = seed_demo_accounts(session)
    session.commit()
    return accounts


def file(session, who: Actor, plot: str | None, **changes):
    attributes = {**sample_project_doc()["attributes"], **changes}
    return filing.file_project(
        session,
        who,
        work_calendar(session),
        name="校验测试项目",
        attributes=attributes,
        filed_on=FILED,
        plot_code=plot,
        plots=registry.PLOT_ASSESSMENTS,
    )


def refused(session, who: Actor, plot: str | None, **changes) -> FilingInvalid:
    before = session.scalar(select(func.count()).select_from(ProjectRow))
    with pytest.raises(FilingInvalid) as e:
        file(session, who, plot, **changes)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProjectRow)) == before
    return e.value


def test_the_preview_is_the_plan_filing_stores(session, world):
    ent = actor(world, "enterprise1")
    catalogue = parse_catalog(ensure_default_catalogue(session).document, "active")
    attributes = sample_project_doc()["attributes"]
    preview = filing.prepare_filing(
        session,
        catalogue,
        work_calendar(session),
        enterprise_id=ent.enterprise_id,
        attributes=attributes,
        filed_on=FILED,
        plot_code="CD-A04",
        plots=registry.PLOT_ASSESSMENTS,
    ).plan
    # the zone CD-A covers all seven assessments: items are waived or reduced, with reasons
    assert preview.waived and all(w.reason_zh for w in preview.waived)
    assert preview.reduced and all(r.reason_zh for r in preview.reduced)
    without_plot = filing.prepare_filing(
        session,
        catalogue,
        work_calendar(session),
        enterprise_id=ent.enterprise_id,
        attributes=attributes,
        filed_on=FILED,
    ).plan
    assert {i.code for i in preview.items} < {i.code for i in without_plot.items}
    project = file(session, ent, "CD-A04")
    assert [(s.code, s.days) for s in project.steps] == [(i.code, i.days) for i in preview.items]
    assert project.baseline["waived"] == preview.to_dict()["waived"]
    assert project.baseline_finish == preview.finish_date


@pytest.mark.parametrize(
    ("field", "value", "zh", "en"),
    [
        ("investment", -500, "项目总投资（万元）：应大于 0", "Total investment"),
        ("land_area_mu", 0, "用地面积（亩）：应大于 0", "Land area"),
        ("building_area", -1, "总建筑面积（m²）：应大于 0", "Total floor area"),
        ("annual_energy_tce", 99_999_999_999, "年综合能源消费量（吨标准煤）：", "plausible"),
        ("investment", "很多", "项目总投资（万元）", "Total investment"),
    ],
)
def test_impossible_figures_are_refused_naming_the_field(session, world, field, value, zh, en):
    e = refused(session, actor(world, "enterprise1"), "CD-A05", **{field: value})
    assert set(e.fields) == {field}
    assert zh in e.fields[field].zh and en in e.fields[field].en
    assert zh.split("：")[0] in e.text("zh") and en in e.text("en")


def test_missing_answers_are_named_each(session, world):
    ent = actor(world, "enterprise1")
    attributes = dict(sample_project_doc()["attributes"])
    del attributes["investment"], attributes["industry"]
    with pytest.raises(FilingInvalid) as e:
        filing.file_project(
            session,
            ent,
            work_calendar(session),
            name=" ",
            attributes=attributes,
            filed_on=FILED,
        )
    assert set(e.value.fields) == {"name", "investment", "industry"}
    assert "必须填写" in e.value.fields["investment"].zh


def test_the_plot_must_be_open_to_this_enterprise(session, world):
    one, two = actor(world, "enterprise1"), actor(world, "enterprise2")
    # 155 亩 on a plot of 80
    e = refused(session, one, "CD-A03", land_area_mu=155)
    assert set(e.fields) == {"land_area_mu"} and "80.0 亩" in e.fields["land_area_mu"].zh
    # still in reserve; unknown
    assert "储备" in refused(session, one, "CD-A06").fields["plot"].zh
    assert "不存在" in refused(session, one, "NOPE-1").fields["plot"].zh
    # CD-A03 (sold) is enterprise1's once it files on it: enterprise1 may file again, not others
    file(session, one, "CD-A03")
    file(session, one, "CD-A03")
    session.commit()
    e = refused(session, two, "CD-A03")
    assert "其他企业" in e.fields["plot"].zh and "another company" in e.fields["plot"].en
    # a listed plot claimed by enterprise2 is closed to enterprise1
    file(session, two, "CD-A04")
    session.commit()
    assert "已被其他企业" in refused(session, one, "CD-A04").fields["plot"].zh
    # a sold plot whose recorded buyer is another company
    session.execute(
        update(PlotRow).where(PlotRow.code == "CD-A07").values(extra={"受让人": "别家公司"})
    )
    index_cache.bump_registry(session)  # the SQLite snapshot of the registry is rebuilt
    session.commit()
    assert "其他企业" in refused(session, one, "CD-A07").fields["plot"].zh


def test_loading_a_holiday_arrangement_replans_open_projects(session, world):
    admin = actor(world, "admin")
    project = file(session, actor(world, "enterprise1"), "CD-A04")
    session.commit()
    old_finish = project.predicted_finish
    calendar = work_calendar(session)
    assert progress.live_plan(session, project, FILED, calendar)["provisional"] is True
    assert old_finish.year == 2027

    load_calendar_arrangement(session, admin, ARRANGEMENT_2027, FILED)
    session.commit()
    session.refresh(project)
    calendar = work_calendar(session)
    live = progress.live_plan(session, project, FILED, calendar)
    assert project.predicted_finish > old_finish
    assert live["predicted_finish"] == project.predicted_finish.isoformat()
    assert live["provisional"] is False
    last = session.scalars(
        select(PlanChangeRow)
        .where(PlanChangeRow.project_id == project.id)
        .order_by(PlanChangeRow.id.desc())
    ).first()
    assert last.step_code is None and last.reason_zh == "节假日安排更新"
    assert last.old_finish == old_finish and last.new_finish == project.predicted_finish
    assert last.reason_en == "holiday arrangement updated"
    moved = [c for c in live["changes"] if c["step"] and c["on"] == FILED.isoformat()]
    assert moved and all(c["reason"] == "节假日安排更新" for c in moved[-3:])
