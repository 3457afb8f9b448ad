"""Milestones (里程碑): the plan's own, the agent's, and checkpoints other packages add.

The plan's milestones are derived on read from the steps, so they move with the plan; their
due dates are the baseline (the plan committed at filing), which never moves — on both clocks
when the project's activities are known (the review steps after the planned 施工图设计,
construction …), and a milestone then says whose its forecast's delay is (部门原因、企业原因、
中介原因, from the step that ends it):

``landing``
    项目落点: every 落点前 step done (land contract and land-use planning permit).
``stage-1`` … ``stage-4``
    The end of each stage of 国办发〔2019〕11号 (立项用地规划许可, 工程建设许可, 施工许可, 竣工验收).

Status, given the committed due date, the date met and the forecast:

* ``met`` — met on or before the due date; ``met_late`` — met after it;
* ``overdue`` — not met and the due date has passed;
* ``at_risk`` — not met, not yet due, but forecast after the due date;
* ``scheduled`` — otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from agent_service.model import STAGES, Milestone, Phase, StepView
from i18n import Text


@dataclass(frozen=True)
class MilestoneDef:
    """A plan milestone: met when every one of its steps is done."""

    key: str
    title: Text
    steps: tuple[str, ...]


def milestone_status(
    due_on: date, met_on: date | None, forecast_on: date | None, today: date
) -> str:
    """The status of a milestone (see the module's definition).

    >>> milestone_status(date(2026, 3, 2), None, date(2026, 3, 4), date(2026, 2, 20))
    'at_risk'
    >>> milestone_status(date(2026, 3, 2), date(2026, 3, 3), None, date(2026, 3, 9))
    'met_late'
    """
    if met_on is not None:
        return "met" if met_on <= due_on else "met_late"
    if today > due_on:
        return "overdue"
    if forecast_on is not None and forecast_on > due_on:
        return "at_risk"
    return "scheduled"


def plan_milestone_defs(
    steps: Sequence[StepView], phase_of: Mapping[str, Phase]
) -> list[MilestoneDef]:
    """The plan's milestones: landing (when the plan has 落点前 steps) and each stage present."""
    out: list[MilestoneDef] = []
    pre = tuple(s.code for s in steps if phase_of.get(s.code) == "pre_landing")
    if pre:
        out.append(
            MilestoneDef(
                "landing",
                Text(
                    "项目落点（土地出让合同、建设用地规划许可）",
                    "project landed (land contract, land-use planning permit)",
                ),
                pre,
            )
        )
    for stage, name in STAGES.items():
        codes = tuple(s.code for s in steps if s.stage == stage)
        if codes:
            out.append(
                MilestoneDef(
                    f"stage-{stage}",
                    Text(f"第{stage}阶段完成：{name.zh}", f"stage {stage} complete: {name.en}"),
                    codes,
                )
            )
    return out


def plan_milestones(
    steps: Sequence[StepView], phase_of: Mapping[str, Phase], today: date
) -> list[Milestone]:
    """The plan's milestones with due dates (baseline), forecasts, dates met and status.

    Precondition: every step has a ``baseline_end`` (steps of a filed project do).
    """
    by_code = {s.code: s for s in steps}
    out = []
    for d in plan_milestone_defs(steps, phase_of):
        members = [by_code[c] for c in d.steps]
        # due: the committed end; on both clocks, with the enterprise's and intermediaries'
        # planned time (a review cannot end before the activity it waits for, as planned)
        due = max(s.plan_end or s.baseline_end for s in members if s.baseline_end)
        ends = [s.end for s in members if s.end]
        forecast = max(ends) if ends else None
        met = forecast if all(s.status == "done" for s in members) else None
        last = max((s for s in members if s.end), key=lambda s: s.end, default=None)  # type: ignore[arg-type,return-value]
        out.append(
            Milestone(
                d.key,
                d.title,
                due,
                milestone_status(due, met, forecast, today),
                kind="plan",
                forecast_on=forecast,
                met_on=met,
                steps=d.steps,
                delays=last.delays if last is not None else None,
            )
        )
    return out


#: On the same due date, the milestones at risk come first.
STATUS_RANK = {"overdue": 0, "at_risk": 1, "scheduled": 2, "met_late": 3, "met": 4}


def sort_milestones(milestones: Sequence[Milestone]) -> list[Milestone]:
    """By due date; on the same day overdue, then at risk, then the rest."""
    return sorted(milestones, key=lambda m: (m.due_on, STATUS_RANK.get(m.status, 9), m.key))
