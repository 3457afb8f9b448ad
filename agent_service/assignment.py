"""Assigning an agent (代办员) to a filed project, by rule: zone and industry match, least loaded.

The rule, over the agents and their loads (a pure function of plain values):

1. Only active agents with a capacity above zero are candidates.
2. Tier 1: agents whose regions cover the project's zone **and** whose industries cover its
   industry.  Tier 2: agents whose regions cover the zone (any industry).  An agent of another
   region is never chosen: the project waits for an administrator instead.
3. In the first tier that has an agent with room (load < capacity), the least loaded one is
   chosen: lowest load/capacity, then lowest load, then lowest user id (deterministic).
4. When every covering agent is full, the least loaded of the best tier is chosen anyway and
   the choice says so (``over_capacity``): a project is better carried by a busy agent than by
   none, and the administrator sees it in the workload figures.

A zone or industry that is unknown (``None``) matches every agent on that criterion.

>>> a = AgentProfile(1, "甲", ("330110",), ("equipment",), capacity=2, load=1)
>>> b = AgentProfile(2, "乙", ("330110",), ("chemical", "equipment"), capacity=4, load=1)
>>> choose_agent([a, b], "330110", "equipment").agent.user_id
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent_service.model import AgentProfile
from i18n import Text

ANY = "*"


def covers(scope: Sequence[str], value: str | None, *, prefix: bool = False) -> bool:
    """Whether a scope (regions or industries) covers ``value``.

    ``None`` (unknown) is covered by every scope; ``"*"`` covers everything; with ``prefix`` a
    code also covers the codes that begin with it (a region covers its sub-zones).
    """
    if value is None or ANY in scope:
        return True
    if prefix:
        return any(value == s or value.startswith(s) for s in scope if s)
    return value in scope


@dataclass(frozen=True)
class AssignmentChoice:
    """The outcome of the rule: the agent (or none), the tier that matched and why."""

    agent: AgentProfile | None
    tier: str  # zone+industry | zone | none
    over_capacity: bool
    reason: Text


def _least_loaded(agents: Sequence[AgentProfile]) -> AgentProfile:
    return min(agents, key=lambda a: (a.load / a.capacity, a.load, a.user_id))


def covers_any(scope: Sequence[str], zones: Sequence[str]) -> bool:
    """Whether a region scope covers any of a project's zones (its park zone from the plots
    registry, its administrative division); no known zone is covered by every scope."""
    return not zones or any(covers(scope, z, prefix=True) for z in zones)


def choose_agent(
    agents: Sequence[AgentProfile],
    zone: str | Sequence[str] | None,
    industry: str | None,
    industry_name: Text | None = None,
) -> AssignmentChoice:
    """Choose the agent for a project in ``zone`` of ``industry`` (see the module's rule).

    ``zone`` may list several codes that all describe where the project is (the 标准地's park
    zone and the project code's 行政区划): an agent covering any of them is in zone.

    Parameters
    ----------
    agents
        Every agent with their current ``load``; inactive ones and those with no capacity are
        ignored.  Precondition: loads are non-negative.
    zone, industry
        The project's zone (from the plot or the form) and industry; ``None`` when unknown.
    industry_name
        How the reason names the industry (its questionnaire label); the code by default.

    Returns
    -------
    AssignmentChoice
        ``agent`` is ``None`` when no agent covers the zone.
    """
    candidates = [a for a in agents if a.active and a.capacity > 0]
    zones = [zone] if isinstance(zone, str) else [z for z in (zone or ()) if z]
    in_zone = [a for a in candidates if covers_any(a.regions, zones)]
    specialists = [a for a in in_zone if covers(a.industries, industry)]
    shown = "/".join(zones)
    named = industry_name or (Text(industry, industry) if industry else None)
    where = Text(
        f"区域 {shown or '未知'}、行业 {named.zh if named else '未知'}",
        f"zone {shown or 'unknown'}, industry {named.en if named else 'unknown'}",
    )
    for tier, group in (("zone+industry", specialists), ("zone", in_zone)):
        with_room = [a for a in group if a.load < a.capacity]
        if with_room:
            agent = _least_loaded(with_room)
            match = (
                Text("区域与行业均匹配", "zone and industry match")
                if tier == "zone+industry"
                else Text(
                    "区域匹配（本区域无该行业的空闲代办员）", "zone matches (no free specialist)"
                )
            )
            return AssignmentChoice(
                agent,
                tier,
                False,
                Text(
                    f"按规则分配：{where.zh}，{match.zh}，负载最低（{agent.load}/{agent.capacity}）",
                    f"assigned by rule: {where.en}; {match.en}; least loaded ({agent.load}/{agent.capacity})",
                ),
            )
    group = specialists or in_zone
    if group:
        agent = _least_loaded(group)
        return AssignmentChoice(
            agent,
            "zone+industry" if specialists else "zone",
            True,
            Text(
                f"按规则分配：{where.zh}，所有匹配的代办员均已满负荷，分配给负载最低者（{agent.load}/{agent.capacity}）",
                f"assigned by rule: {where.en}; every matching agent is at capacity, the least loaded takes it ({agent.load}/{agent.capacity})",
            ),
        )
    return AssignmentChoice(
        None,
        "none",
        False,
        Text(
            f"没有覆盖{where.zh}的代办员，待管理员指派",
            f"no agent covers {where.en}; an administrator must assign one",
        ),
    )
