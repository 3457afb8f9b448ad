"""The 代办清单 (agent checklist): derived from the project's live plan, never stored.

Every read builds the list again from the steps (status, actual or forecast dates, departments
and their tasks' clocks), the materials each step needs (uploaded, passed on as a certificate,
missing, deferred under 容缺), the joint meetings and their follow-up actions, entries other
packages add (commitment checkpoints) and the agent's own notes and tick-offs, which are kept
by entry key (``step:S1-02``, ``meeting:3``, ``action:7``, ``checkpoint:<key>``) so they
survive every re-plan.  So the list is always in step with the plan.

Phases (:func:`phases`)
-----------------------
落点前 (``pre_landing``)
    The stage-1 steps that issue a landing certificate — the land contract (C-land-contract)
    or the land-use planning permit (C-land-planning-permit) — and every stage-1 step they
    (transitively) require, e.g. 备案赋码 → 标准地出让及出让合同 → 建设用地规划许可.  When the plan
    has no such step (land already held, or a catalogue without land items) the stage-1 steps
    that require nothing (the filing itself) are the whole phase.
落点后 (``post_landing``)
    Every other step of stages 1–3 (the parallel reviews: 节能, 环评, 水保, 不动产权, design and
    drawing reviews, the construction permit …) and the joint meetings with their actions.
竣工后 (``post_completion``)
    Stage-4 steps (联合验收, 竣工验收备案, 对标验收 …) and the commitment checkpoints other packages
    add (:class:`~agent_service.model.ExtraEntry`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from agent_service.model import (
    LANDING_CERTIFICATES,
    PHASE_ORDER,
    ActionView,
    ChecklistEntry,
    Contact,
    ExtraEntry,
    MaterialView,
    MeetingView,
    Note,
    Phase,
    StepView,
)
from i18n import Text

#: A step's status as the agent reads it.
STEP_STATUS = {
    "waiting": "waiting",  # 等待前置事项
    "ready": "todo",  # 待受理: materials to gather, intake to chase
    "in_progress": "in_progress",
    "done": "done",
    "rejected": "blocked",
    "refused": "blocked",  # 不予受理
}


def phases(steps: Sequence[StepView]) -> dict[str, Phase]:
    """The phase of every step (see the module's definition).

    Precondition: every code a step requires names a step of ``steps`` (a stored plan).
    """
    by_code = {s.code: s for s in steps}
    landing = [s.code for s in steps if s.stage == 1 and s.outputs & LANDING_CERTIFICATES]
    pre: set[str] = set()
    if landing:
        stack = list(landing)
        while stack:
            code = stack.pop()
            step = by_code.get(code)
            if code in pre or step is None or step.stage != 1:
                continue
            pre.add(code)
            stack.extend(step.requires)
    else:
        pre = {s.code for s in steps if s.stage == 1 and not s.requires}
    out: dict[str, Phase] = {}
    for s in steps:
        if s.code in pre:
            out[s.code] = "pre_landing"
        elif s.stage >= 4:
            out[s.code] = "post_completion"
        else:
            out[s.code] = "post_landing"
    return out


def current_phase(steps: Sequence[StepView], phase_of: Mapping[str, Phase]) -> Phase:
    """The earliest phase with a step not yet done (竣工后 once everything is)."""
    open_phases = [phase_of[s.code] for s in steps if s.status != "done"]
    if not open_phases:
        return "post_completion"
    return min(open_phases, key=lambda p: PHASE_ORDER[p])


def build_checklist(
    steps: Sequence[StepView],
    *,
    materials: Mapping[str, Sequence[MaterialView]] | None = None,
    contacts: Mapping[str, Contact] | None = None,
    meetings: Sequence[MeetingView] = (),
    actions: Sequence[ActionView] = (),
    extras: Sequence[ExtraEntry] = (),
    notes: Mapping[str, Note] | None = None,
) -> list[ChecklistEntry]:
    """The 代办清单 in phase order, then by due date, then by key.

    Parameters
    ----------
    steps
        The project's live plan (dates already on the calendar).
    materials
        Step code → the materials the step needs (with their state); done steps list none.
    contacts
        Department code → contact; unknown departments are shown by code.
    meetings, actions
        The project's joint meetings (落点后) and their follow-up actions.
    extras
        Entries of other packages (commitment checkpoints, 竣工后 by default).
    notes
        Entry key → the agent's note and tick-off.
    """
    materials = materials or {}
    contacts = contacts or {}
    notes = notes or {}
    phase_of = phases(steps)
    entries = [_step_entry(s, phase_of, materials, contacts) for s in steps]
    entries += [_meeting_entry(m, contacts) for m in meetings]
    entries += [_action_entry(a) for a in actions]
    entries += [_extra_entry(x, contacts) for x in extras]
    for e in entries:
        note = notes.get(e.key)
        if note is not None:
            e.note, e.ticked, e.ticked_on = note.note, note.done, note.done_on
    far = date.max
    entries.sort(key=lambda e: (PHASE_ORDER[e.phase], e.due or far, e.start or far, e.key))
    return entries


def _contacts_of(departments: Sequence[str], contacts: Mapping[str, Contact]) -> list[Contact]:
    """The departments' contacts; an unknown department is shown by its code."""
    return [contacts.get(d) or Contact(d, d) for d in departments]


def _step_entry(
    s: StepView,
    phase_of: Mapping[str, Phase],
    materials: Mapping[str, Sequence[MaterialView]],
    contacts: Mapping[str, Contact],
) -> ChecklistEntry:
    """A plan step (告知承诺 marked); a done step lists no materials."""
    return ChecklistEntry(
        key=f"step:{s.code}",
        phase=phase_of[s.code],
        kind="step",
        title=Text(
            f"{s.code} {s.name}" + ("（告知承诺）" if s.mode == "commitment" else ""),
            f"{s.code} {s.name_en or s.name}"
            + (" (by commitment)" if s.mode == "commitment" else ""),
        ),
        status=STEP_STATUS.get(s.status, s.status),
        start=s.start,
        due=s.end,
        baseline_due=s.baseline_end,
        done_on=s.end if s.status == "done" else None,
        critical=s.critical,
        slack=s.slack,
        departments=_contacts_of(s.departments, contacts),
        tasks=list(s.tasks),
        materials=[] if s.status == "done" else list(materials.get(s.code, ())),
    )


def _meeting_entry(m: MeetingView, contacts: Mapping[str, Contact]) -> ChecklistEntry:
    """A joint meeting (落点后): scheduled is to do, held in progress, closed done."""
    return ChecklistEntry(
        key=f"meeting:{m.id}",
        phase="post_landing",
        kind="meeting",
        title=Text(f"联席会议：{m.title}", f"joint meeting: {m.title}"),
        status={"scheduled": "todo", "held": "in_progress", "closed": "done"}.get(
            m.status, m.status
        ),
        start=m.held_on,
        due=m.held_on,
        done_on=m.held_on if m.status == "closed" else None,
        departments=_contacts_of(m.departments, contacts),
    )


def _action_entry(a: ActionView) -> ChecklistEntry:
    """A meeting's follow-up action (落点后), done once closed."""
    return ChecklistEntry(
        key=f"action:{a.id}",
        phase="post_landing",
        kind="action",
        title=Text(
            f"会议跟进事项：{a.text}（责任人：{a.owner}）",
            f"follow-up action: {a.text} (owner: {a.owner})",
        ),
        status="done" if a.status == "closed" else "todo",
        due=a.due_on,
        done_on=a.closed_on,
    )


def _extra_entry(x: ExtraEntry, contacts: Mapping[str, Contact]) -> ChecklistEntry:
    """Another package's entry (e.g. a commitment checkpoint), done once it has a date."""
    return ChecklistEntry(
        key=f"{x.kind}:{x.key}",
        phase=x.phase,
        kind=x.kind,
        title=x.title,
        status="done" if x.done_on else "todo",
        due=x.due_on,
        done_on=x.done_on,
        departments=_contacts_of(x.departments, contacts),
    )
