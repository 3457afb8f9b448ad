"""The proxy-agent domain (代办制) as plain values: agents, the plan as an agent reads it, the
代办清单's entries, milestones, alerts and the hook through which other packages add entries.

"变企业跑为政府跑": one agent (代办员) per project carries it from before it lands (落点前),
through parallel review and joint meetings (落点后), to the completion procedures and the
commitment checks (竣工后).  Nothing here imports the database or the web framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from approvals.clock_forecast import delays_out
from i18n import Lang, Text

Phase = Literal["pre_landing", "post_landing", "post_completion"]

#: The three phases of the 代办清单, in order.
PHASES: dict[str, Text] = {
    "pre_landing": Text("落点前", "before landing"),
    "post_landing": Text("落点后", "after landing"),
    "post_completion": Text("竣工后", "after completion"),
}
PHASE_ORDER = {p: i for i, p in enumerate(PHASES)}

#: The four stages of 国办发〔2019〕11号, each closed by a milestone.
STAGES: dict[int, Text] = {
    1: Text("立项用地规划许可", "project approval, land use and planning permit"),
    2: Text("工程建设许可", "construction project permit"),
    3: Text("施工许可", "construction permit"),
    4: Text("竣工验收", "completion acceptance"),
}

#: Names of a milestone's status, of a joint meeting's status.
MILESTONE_STATUS: dict[str, Text] = {
    "overdue": Text("已逾期", "overdue"),
    "at_risk": Text("有延误风险", "at risk"),
    "scheduled": Text("按计划", "on schedule"),
    "met": Text("已达成", "met"),
    "met_late": Text("延期达成", "met late"),
}
MEETING_STATUS: dict[str, Text] = {
    "scheduled": Text("待召开", "scheduled"),
    "held": Text("已召开，跟进事项未办结", "held, actions open"),
    "closed": Text("已办结", "closed"),
}

#: Certificates whose issue marks a project as landed (落点): the land contract and the
#: land-use planning permit.
LANDING_CERTIFICATES: frozenset[str] = frozenset({"C-land-contract", "C-land-planning-permit"})


@dataclass(frozen=True)
class AgentProfile:
    """An agent (代办员) as assignment sees them.

    ``regions`` are zone or administrative-division codes; a region covers a zone equal to it or
    beginning with it ("3301" covers "330110"); ``"*"`` covers every zone.  ``industries`` are
    the questionnaire's industry answers (``equipment``, ``chemical`` …); ``"*"`` covers all.
    ``load`` is the number of active projects (in review) assigned to the agent.
    """

    user_id: int
    name: str
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    capacity: int = 10
    active: bool = True
    load: int = 0


@dataclass(frozen=True)
class Contact:
    """A department's contact for the agent (联系人、电话、地址)."""

    code: str
    name: str
    name_en: str = ""
    contact_person: str = ""
    phone: str = ""
    address: str = ""

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name_en if lang == "en" and self.name_en else self.name,
            "contact_person": self.contact_person,
            "phone": self.phone,
            "address": self.address,
        }


@dataclass(frozen=True)
class TaskView:
    """One department's task on a step, as the agent follows it."""

    department: str
    status: str
    clock: str  # normal | warning | overdue | stopped | done | idle (approvals.workflow)
    due_on: date | None = None


@dataclass(frozen=True)
class MaterialView:
    """A material a step needs: ``state`` is certificate | uploaded | missing; ``deferred_until``
    is the deadline of a 容缺 deferral still open."""

    code: str
    name: str
    name_en: str = ""
    state: str = "missing"
    deferrable: bool = False
    deferred_until: date | None = None

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name_en if lang == "en" and self.name_en else self.name,
            "state": self.state,
            "deferrable": self.deferrable,
            "deferred_until": _iso(self.deferred_until),
        }


@dataclass(frozen=True)
class StepView:
    """A step of the live plan with its dates already on the calendar.

    ``start``/``end`` are actual dates when known, else the forecast; ``baseline_end`` is the
    committed date at filing; ``outputs`` the certificates its items issue.
    """

    code: str
    name: str
    stage: int
    status: str  # waiting | ready | in_progress | done | rejected
    name_en: str = ""
    departments: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    outputs: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None
    baseline_end: date | None = None
    slack: int | None = None
    critical: bool = False
    mode: str = "review"
    tasks: tuple[TaskView, ...] = ()
    #: on both clocks (the project's activities known): its end as planned with them, and
    #: whose its delay is (working days: department, enterprise, intermediary)
    plan_end: date | None = None
    delays: Mapping[str, int] | None = None


@dataclass(frozen=True)
class ExtraEntry:
    """An entry another package adds to a project's 代办清单 (e.g. a commitment checkpoint of
    :mod:`commitments`: 对标验收, 达产复核).  ``kind == "checkpoint"`` entries are also milestones
    and raise an alert when they come within the alert window."""

    project_id: int
    key: str
    title: Text
    due_on: date | None
    phase: Phase = "post_completion"
    kind: str = "checkpoint"
    done_on: date | None = None
    source: str = ""
    departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingView:
    """A joint meeting (联席会议) as the checklist lists it."""

    id: int
    title: str
    held_on: date
    status: str  # scheduled | held | closed
    departments: tuple[str, ...] = ()
    open_actions: int = 0


@dataclass(frozen=True)
class ActionView:
    """A follow-up action of a joint meeting, with its owner and due date."""

    id: int
    meeting_id: int
    text: str
    owner: str
    due_on: date
    status: str  # open | closed
    closed_on: date | None = None


@dataclass(frozen=True)
class Note:
    """The agent's own note and tick-off on a checklist entry (kept across re-plans by key)."""

    key: str
    note: str = ""
    done: bool = False
    done_on: date | None = None


@dataclass
class ChecklistEntry:
    """One line of the 代办清单."""

    key: str
    phase: Phase
    kind: str  # step | meeting | action | checkpoint | …
    title: Text
    status: str
    start: date | None = None
    due: date | None = None
    baseline_due: date | None = None
    done_on: date | None = None
    critical: bool = False
    slack: int | None = None
    departments: list[Contact] = field(default_factory=list)
    tasks: list[TaskView] = field(default_factory=list)
    materials: list[MaterialView] = field(default_factory=list)
    note: str = ""
    ticked: bool = False
    ticked_on: date | None = None

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        tasks = {t.department: t for t in self.tasks}
        return {
            "key": self.key,
            "phase": self.phase,
            "kind": self.kind,
            "title": self.title(lang),
            "status": self.status,
            "start": _iso(self.start),
            "due": _iso(self.due),
            "baseline_due": _iso(self.baseline_due),
            "done_on": _iso(self.done_on),
            "critical": self.critical,
            "slack": self.slack,
            "departments": [
                {
                    **c.to_dict(lang),
                    "task_status": tasks[c.code].status if c.code in tasks else None,
                    "clock": tasks[c.code].clock if c.code in tasks else None,
                    "task_due_on": _iso(tasks[c.code].due_on) if c.code in tasks else None,
                }
                for c in self.departments
            ],
            "materials": [m.to_dict(lang) for m in self.materials],
            "materials_missing": sum(1 for m in self.materials if m.state == "missing"),
            "note": self.note,
            "ticked": self.ticked,
            "ticked_on": _iso(self.ticked_on),
        }


@dataclass(frozen=True)
class Milestone:
    """A milestone with its committed due date, forecast, date met and status
    (scheduled | at_risk | overdue | met | met_late)."""

    key: str
    title: Text
    due_on: date
    status: str
    kind: str = "plan"  # plan | manual | checkpoint
    forecast_on: date | None = None
    met_on: date | None = None
    steps: tuple[str, ...] = ()
    #: whose the forecast's delay is (working days by cause), on both clocks
    delays: Mapping[str, int] | None = None

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title(lang),
            "due_on": self.due_on.isoformat(),
            "forecast_on": _iso(self.forecast_on),
            "met_on": _iso(self.met_on),
            "status": self.status,
            "status_name": MILESTONE_STATUS[self.status](lang),
            "steps": list(self.steps),
            "delays": delays_out(self.delays, lang),
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """An item at risk, for the agent's inbox (deduplicated per project, kind, subject, day)."""

    project_id: int
    kind: str
    subject: str
    level: str  # warning | overdue
    title: Text
    due_on: date | None = None


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
