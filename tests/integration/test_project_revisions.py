"""Project revisions (项目修订号, migration 0021) on SQLite and PostgreSQL: every change to what a
project's kept answers show moves its revision, in the changing transaction, and nothing else
does."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from approvals.errors import NotFoundError
from approvals.services import queries, review
from storage.audit import record
from tests.integration.test_workflow import MON, file, task_of, upload, world  # noqa: F401


def revision(session, w, project) -> int:
    rev, _ = queries.project_revision(session, w["reg"], project.id)
    session.commit()
    return rev


def test_every_change_an_answer_shows_moves_the_revision(session, world):  # noqa: F811
    w = world
    p, q = file(session, w), file(session, w)
    seen = [revision(session, w, p)]
    other = revision(session, w, q)

    def moved() -> bool:
        seen.append(revision(session, w, p))
        return seen[-1] > seen[-2]

    # a decision, through the services (the ORM); the upload before it changes nothing a plan
    # or a project's summary shows
    upload(session, w, p, "M-form", MON)
    review.accept_task(session, w["rev"]("fgw"), task_of(session, p, "A").id, MON, w["cal"])
    session.commit()
    assert moved()
    # writes that bypass the ORM: a step, a task, a plan change, a deferral, the enterprise
    t = task_of(session, p, "A")
    writes = [
        ("UPDATE steps SET name = '改' WHERE project_id = :p AND code = 'A'", {"p": p.id}),
        ("UPDATE tasks SET note = '备注' WHERE id = :t", {"t": t.id}),
        (
            'INSERT INTO plan_changes (project_id, "on", at, reason_zh, reason_en) '
            "VALUES (:p, '2026-03-03', '2026-03-03 08:00:00+00', '原因', 'reason')",
            {"p": p.id},
        ),
        (
            "INSERT INTO deferrals (task_id, material_code, due_on) VALUES (:t, 'M-x', '2026-03-09')",
            {"t": t.id},
        ),
        ("UPDATE deferrals SET supplied_on = '2026-03-04' WHERE task_id = :t", {"t": t.id}),
        ("DELETE FROM deferrals WHERE task_id = :t", {"t": t.id}),
        ("DELETE FROM plan_changes WHERE project_id = :p", {"p": p.id}),
        ("UPDATE projects SET name = '改名' WHERE id = :p", {"p": p.id}),
        ("UPDATE enterprises SET name = '改名企业' WHERE id = :e", {"e": w["ent"].enterprise_id}),
    ]
    for sql, params in writes:
        session.execute(text(sql), params)
        session.commit()
        assert moved(), sql
    # an audit entry of the project (what its audit trail shows)
    record(
        session,
        actor="admin",
        role="admin",
        action="test",
        entity="project",
        entity_id=p.id,
        project_id=p.id,
    )
    session.commit()
    assert moved()
    # what another project's answers show did not change; its enterprise is the same one, so
    # the rename moved it too, and nothing else did
    assert revision(session, w, q) == other + 1
    # a change rolled back moves nothing
    session.execute(text("UPDATE steps SET name = '撤' WHERE project_id = :p"), {"p": p.id})
    session.rollback()
    assert revision(session, w, p) == seen[-1]


def test_one_transaction_many_changes(session, world, backend):  # noqa: F811
    """A decision changes some thirty rows of its project; PostgreSQL moves the revision once
    per transaction, SQLite once per row (its rows are narrow either way)."""
    w = world
    p = file(session, w)
    before = revision(session, w, p)
    steps = session.execute(text("SELECT count(*) FROM steps WHERE project_id = :p"), {"p": p.id})
    n = steps.scalar_one()
    session.execute(text("UPDATE steps SET slack = slack WHERE project_id = :p"), {"p": p.id})
    session.execute(text("UPDATE tasks SET note = note WHERE project_id = :p"), {"p": p.id})
    session.commit()
    after = revision(session, w, p)
    assert after == before + 1 if backend == "postgresql" else after > before + n


def test_the_revision_is_read_only_for_who_may_see_the_project(session, world):  # noqa: F811
    w = world
    p = file(session, w)
    assert queries.project_revision(session, w["ent"], p.id)[0] >= 1
    assert queries.project_revision(session, w["rev"]("fgw"), p.id)[1] is not None
    for who in (w["other"], w["rev"]("rfb")):
        with pytest.raises(NotFoundError):
            queries.project_revision(session, who, p.id)
    with pytest.raises(NotFoundError):
        queries.project_revision(session, w["reg"], p.id + 1000)
