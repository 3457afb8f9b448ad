"""The daily alert scan, the inbox and its deduplication, the dashboard, the workload figures
and the digest — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from agent_service.digest import format_digest
from agent_service.errors import AgentForbidden, AgentNotFound
from agent_service.model import ExtraEntry
from agent_service.services import alert_scan as alert_scan_service
from agent_service.services import dashboard as dashboard_service
from agent_service.services import digest as digest_service
from agent_service.services import inbox as inbox_service
from agent_service.services import meetings as meetings_service
from approvals.services import review
from i18n import Text
from tests.integration.agents_support import MON, file, make_world, reviewer, task, upload

TUE, WED, THU, FRI = (date(2026, 3, d) for d in (3, 4, 5, 6))


def test_scan_inbox_dashboard_workload_and_digest(session):
    w = make_world(session)
    p1 = file(session, w)  # agent1
    p2 = file(session, w, industry="chemical", owner="enterprise2")  # agent2
    p3 = file(session, w)  # agent1, nothing at risk
    agent1, agent2 = w.actor("agent1"), w.actor("agent2")
    assert p2.agent_user_id == agent2.user_id and p3.agent_user_id == agent1.user_id
    upload(session, w, p1, "M-form", MON)
    review.accept_task(session, reviewer(w, "fgw"), task(session, p1, "A").id, MON, w.cal)
    session.commit()

    # Tuesday: the filing's one-day limit has passed
    result = alert_scan_service.scan_alerts(session, TUE, w.cal)
    session.commit()
    assert [(a.project_id, a.kind) for a in result.alerts] == [(p1.id, "task_overdue")]
    assert result.new == 1 and result.projects == 3 and result.at_risk == 1
    again = alert_scan_service.scan_alerts(session, TUE, w.cal)  # the same day: nothing new
    session.commit()
    assert again.new == 0 and len(again.alerts) == 1
    box = inbox_service.inbox(session, agent1)
    assert box["total"] == box["unread"] == 1 and box["items"][0]["level"] == "overdue"
    assert (
        box["items"][0]["project_code"] == p1.code
        and "已超期 1 个工作日" in box["items"][0]["title"]
    )
    assert inbox_service.inbox(session, agent2)["total"] == 0

    # Wednesday: approved a day late, the land sale has no slack left; the EIA is accepted with
    # a deferred material; a joint meeting's action falls due today; a checkpoint is coming
    review.approve_task(session, reviewer(w, "fgw"), task(session, p1, "A").id, WED, w.cal)
    upload(session, w, p1, "M-eia", WED)
    review.accept_task(session, reviewer(w, "sthj"), task(session, p1, "E").id, WED, w.cal)
    meeting = meetings_service.create_meeting(
        session, agent1, p1.id, title="土地出让协调会", held_on=WED, departments=["zrzy"]
    )
    meetings_service.record_minutes(
        session,
        agent1,
        p1.id,
        meeting.id,
        decisions=["加快出让合同签订"],
        actions=[meetings_service.ActionSpec("落实土地出让价款", "企业 王经理", WED)],
        on=WED,
    )
    session.commit()

    def checkpoints(_s, ids, _today):
        return [ExtraEntry(p1.id, "bench", Text("对标验收", "benchmark"), date(2026, 3, 12))]

    sources = (checkpoints,)  # the port, as the composition root passes it
    result = alert_scan_service.scan_alerts(session, THU, w.cal, checkpoints=sources)
    session.commit()
    kinds = sorted((a.kind, a.subject) for a in result.alerts)
    assert kinds == sorted(
        [
            ("slack_used_up", "step:L"),  # not P, D, W, K after it: one alert per cause
            ("task_warning", f"task:{task(session, p1, 'E').id}"),
            ("deferral_due", kinds[[k for k, _ in kinds].index("deferral_due")][1]),
            ("action_overdue", f"action:{meeting.actions[0].id}"),
            ("checkpoint_due", "checkpoint:bench"),
        ]
    )
    assert {a.project_id for a in result.alerts} == {p1.id}
    deferral = next(a for a in result.alerts if a.kind == "deferral_due")
    assert "M-pp（公众参与说明）" in deferral.title.zh and deferral.due_on == date(2026, 3, 9)

    # the dashboard: at-risk projects first, each with its alerts, phase and next milestone
    board = dashboard_service.dashboard(session, agent1, THU, w.cal, checkpoints=sources)
    assert [p["id"] for p in board["projects"]] == [p1.id, p3.id]
    first = board["projects"][0]
    assert first["risk"] == "overdue" and first["phase"] == "pre_landing"
    assert first["alerts"][0]["kind"] == "action_overdue" and first["open_actions"] == 1
    assert first["next_milestone"]["key"] in {"landing", "stage-1"}
    assert board["summary"]["at_risk"] == 1 and board["summary"]["unread_alerts"] == 6
    assert board["projects"][1]["risk"] is None
    # each source read once, whatever the board shows (alerts of every kind, a meeting with its
    # attendees, decisions and actions): the agent with the projects and their milestones, the
    # steps, the tasks' clocks and deferrals, the meetings with their actions (the checkpoints
    # here come from a function: no statement)
    assert (
        _statements(
            session,
            lambda: dashboard_service.dashboard(session, agent1, THU, w.cal, checkpoints=sources),
        )
        == 4
    )
    with pytest.raises(AgentNotFound):
        dashboard_service.dashboard(
            session, agent2, THU, w.cal, agent_user_id=agent1.user_id, checkpoints=sources
        )
    assert dashboard_service.dashboard(
        session,
        w.actor("regulator1"),
        THU,
        w.cal,
        agent_user_id=agent1.user_id,
        checkpoints=sources,
    )

    # the administrator's workload figures
    with pytest.raises(AgentForbidden):
        dashboard_service.workload(session, agent1, THU, w.cal, checkpoints=sources)
    figures = {
        a["username"]: a
        for a in dashboard_service.workload(session, w.admin, THU, w.cal, checkpoints=sources)[
            "agents"
        ]
    }
    assert figures["agent1"]["active"] == 2 and figures["agent1"]["at_risk"] == 1
    assert figures["agent1"]["overdue"] == 1 and figures["agent1"]["open_actions"] == 1
    assert figures["agent2"]["active"] == 1 and figures["agent2"]["at_risk"] == 0
    assert figures["agent1"]["utilisation"] == 0.25

    # the digest of the day, per agent
    digests = {
        d.username: d for d in digest_service.digest(session, THU, w.cal, checkpoints=sources)
    }
    d1 = digests["agent1"]
    assert d1.projects == 2 and d1.alert_count == 5 and d1.at_risk[0].code == p1.code
    assert d1.at_risk[0].alerts[0].level == "overdue"
    assert [a[2] for a in d1.actions] == ["落实土地出让价款"]
    assert any(code == p1.code and m.key == "landing" for code, m in d1.milestones)
    text = "\n".join(format_digest(d1))
    assert "每日提醒" in text and "机动时间已用完" in text and "容缺材料" in text
    assert "daily digest" in "\n".join(format_digest(d1, "en"))
    assert digests["agent2"].alert_count == 0
    assert "存在风险 0 个" in "\n".join(format_digest(digests["agent2"]))
    with pytest.raises(AgentNotFound):
        digest_service.digest(session, THU, w.cal, username="nobody", checkpoints=sources)

    # reading the inbox: only one's own alerts
    ids = [i["id"] for i in inbox_service.inbox(session, agent1)["items"]]
    with pytest.raises(AgentNotFound):
        inbox_service.mark_read(session, agent2, ids[:1])
    session.rollback()
    assert inbox_service.mark_read(session, agent1, ids[:2]) == 2
    session.commit()
    assert inbox_service.inbox(session, agent1)["unread"] == len(ids) - 2
    assert inbox_service.mark_read(session, agent1, everything=True) == len(ids) - 2
    session.commit()
    assert inbox_service.inbox(session, agent1, unread_only=True)["total"] == 0

    # a new day raises its alerts again (one per project, kind, subject and day)
    assert alert_scan_service.scan_alerts(session, FRI, w.cal).new > 0
    session.commit()
    assert inbox_service.inbox(session, agent1)["unread"] > 0


def _statements(session: Session, call: Callable[[], object]) -> int:
    """How many SQL statements ``call`` issues (transaction control not counted)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)
