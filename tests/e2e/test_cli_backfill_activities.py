"""``onetrip backfill-activities`` on both backends: a project filed before its activities were
kept gets them once; run again, nothing changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.orm import ProjectActivityRow
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import filing
from storage.engine import make_engine, make_session_factory
from tests.e2e.test_cli_ledger import in_process


def _count(engine) -> int:
    with make_session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(ProjectActivityRow)) or 0


def test_backfill_activities_fills_once(db_url):
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        accounts = seed_demo_accounts(session)
        user = accounts.users["enterprise1"]
        ent = Actor(user.username, "enterprise", user.id, enterprise_id=user.enterprise_id)
        doc = sample_project_doc()
        filing.file_project(
            session,
            ent,
            work_calendar(session),
            name="补录测试",
            attributes=doc["attributes"],
            regional_assessments=doc["regional_assessments"],
            filed_on=date(2026, 3, 2),
        )
        session.commit()
        stored = session.scalar(select(func.count()).select_from(ProjectActivityRow))
        session.execute(delete(ProjectActivityRow))  # as filed before migration 0010
        session.commit()
    assert stored and _count(engine) == 0
    r = in_process("backfill-activities", "--db", db_url, "--date", "2026-03-20")
    assert r.exit_code == 0, r.output
    assert "已补录 1 个项目" in r.output
    assert _count(engine) == stored
    again = in_process(
        "--lang", "en", "backfill-activities", "--db", db_url, "--date", "2026-03-20"
    )
    assert again.exit_code == 0 and "0 project(s) filled in" in again.output
    assert _count(engine) == stored
    engine.dispose()
