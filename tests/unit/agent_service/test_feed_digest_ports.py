"""The iCalendar feed, the digest's text and the checkpoint port, from plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from agent_service.digest import AgentDigest, DigestProject, format_digest
from agent_service.ical import CalendarItem, to_ics
from agent_service.model import Alert, ExtraEntry, Milestone
from agent_service.ports import extra_entries
from i18n import Text

D = date(2026, 3, 2)


def test_the_feed_parses_back_with_events_and_todos():
    ics = to_ics(
        "代办员 张敏 代办日程",
        [
            CalendarItem("m-1@onetrip", "项目落点", D, description="按计划"),
            CalendarItem("meet-1@onetrip", "联席会议", D, end=date(2026, 3, 3), location="3 楼"),
            CalendarItem("a-1@onetrip", "补充材料", D, kind="todo", status="NEEDS-ACTION"),
        ],
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    cal = Calendar.from_ical(ics)
    assert str(cal["X-WR-CALNAME"]) == "代办员 张敏 代办日程"
    events = list(cal.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["项目落点", "联席会议"]
    assert events[1].decoded("DTEND") == date(2026, 3, 4)  # exclusive end of an all-day event
    (todo,) = cal.walk("VTODO")
    assert todo.decoded("DUE") == D and str(todo["STATUS"]) == "NEEDS-ACTION"


def test_the_digest_text_names_alerts_milestones_and_actions():
    d = AgentDigest(3, "agent1", "代办员 张敏", "0571-1", D, projects=2)
    d.at_risk = [
        DigestProject(
            1,
            "2026-330110-34-03-000001",
            "装备项目",
            [Alert(1, "task_overdue", "task:9", "overdue", Text("S1-02 超期", "S1-02 late"))],
        )
    ]
    d.milestones = [
        (
            "2026-330110-34-03-000001",
            Milestone(
                "landing", Text("项目落点", "landed"), D, "at_risk", forecast_on=date(2026, 3, 4)
            ),
        )
    ]
    d.actions = [("2026-330110-34-03-000001", D, "补充材料", "王经理")]
    zh = "\n".join(format_digest(d))
    assert "负责项目 2 个，存在风险 1 个；今日提醒 1 条" in zh
    assert "[超期·审批超期] S1-02 超期" in zh and "有延误风险，预计 2026-03-04" in zh
    assert "补充材料（责任人：王经理）" in zh
    en = "\n".join(format_digest(d, "en"))
    assert "[overdue·review overdue] S1-02 late" in en and "owner: 王经理" in en
    quiet = format_digest(AgentDigest(4, "agent2", "代办员 刘洋", "", D))
    assert quiet[-1].strip() == "今日无风险事项。"


def test_the_port_gathers_every_source_by_project():
    def source(_session, ids, _today):
        return [
            *(ExtraEntry(pid, "bench", Text("对标验收", "benchmark"), D) for pid in ids),
            ExtraEntry(99, "stray", Text("无关", "stray"), D),  # not asked about: dropped
        ]

    def another(_session, ids, _today):
        return [ExtraEntry(ids[0], "note", Text("备注", "note"), None, kind="info")]

    found = extra_entries((source, another), None, [1, 2], D)
    assert {pid: [e.key for e in es] for pid, es in found.items()} == {
        1: ["bench", "note"],
        2: ["bench"],
    }
    assert extra_entries((), None, [1], D) == {}  # no source: nothing added
    assert extra_entries((source,), None, [], D) == {}
