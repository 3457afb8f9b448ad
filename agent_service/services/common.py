"""What the agents' use cases share: the project statuses followed, the risk order, and who may
read or write an agent's records (asked of :mod:`access.policy`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from access.actor import Actor, Role
from access.orm import UserRow
from access.policy import Action, Owned, can
from agent_service.errors import AgentForbidden, AgentInputError, AgentNotFound

#: Projects that count towards an agent's load and whose review clocks are scanned.
ACTIVE = ("in_review",)
#: Projects an agent still follows (after completion: the commitment checkpoints, meetings).
FOLLOWED = ("in_review", "completed")
RISK_RANK = {"overdue": 0, "warning": 1, None: 2}


def agent_user(session: Session, user_id: int) -> UserRow:
    """The account ``user_id``, which must be an agent's."""
    user = session.get(UserRow, user_id)
    if user is None or user.role != Role.AGENT:
        raise AgentNotFound(f"代办员 {user_id} 不存在", f"agent {user_id} not found")
    return user


# --- roles ---------------------------------------------------------------------------------------


def require_reader(actor: Actor) -> None:
    if not can(actor, Action.AGENT_READ):
        raise AgentForbidden(
            "只有代办员、监管人员和管理员可以查看代办信息",
            "only agents, regulators and administrators read agents' records",
        )


def require_writer(actor: Actor) -> None:
    if not can(actor, Action.AGENT_WORK):
        raise AgentForbidden(
            "只有项目的代办员或管理员可以执行此操作",
            "only the project's agent or an administrator may do this",
        )


def agent_target(actor: Actor, agent_user_id: int | None) -> int:
    """The agent whose records are read: an agent reads their own only ('not found' otherwise);
    regulators and administrators read anyone's."""
    if not can(actor, Action.AGENT_READ):
        raise AgentForbidden(
            "只有代办员本人、监管人员和管理员可以查看",
            "only the agent, regulators and administrators",
        )
    if not can(actor, Action.AGENT_READ, Owned()):  # a scoped grant: one's own records only
        if agent_user_id not in {None, actor.user_id}:
            raise AgentNotFound(
                f"代办员 {agent_user_id} 不存在", f"agent {agent_user_id} not found"
            )
        assert actor.user_id is not None
        return actor.user_id
    if agent_user_id is None:
        raise AgentInputError("需要指定代办员", "an agent must be named")
    return agent_user_id
