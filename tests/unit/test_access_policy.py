"""The access policy as users meet it: who may file, decide, read and administer, and on what."""

from __future__ import annotations

from enum import StrEnum

import pytest

from access import policy
from access.actor import Actor, Role
from access.policy import (
    GRANTS,
    AccessForbidden,
    Action,
    Owned,
    Scope,
    can,
    require,
    roles_for,
    scoped,
)
from i18n import Forbidden

ENTERPRISE = Actor("e1", Role.ENTERPRISE, 1, enterprise_id=3)
OTHER_ENTERPRISE = Actor("e2", Role.ENTERPRISE, 2, enterprise_id=4)
REVIEWER = Actor("r-fgw", Role.REVIEWER, 5, department="fgw")
AGENT = Actor("a1", Role.AGENT, 6)
REGULATOR = Actor("reg", Role.REGULATOR, 7)
ADMIN = Actor("admin", Role.ADMIN, 8)
INTERMEDIARY = Actor("im1", Role.INTERMEDIARY, 9, intermediary_id=2)
EVERYONE = [ENTERPRISE, REVIEWER, AGENT, REGULATOR, ADMIN, INTERMEDIARY]

OWN_PROJECT = Owned(enterprise_id=3)
FGW_TASK = Owned(department="fgw")
ZJ_TASK = Owned(department="zj")


def test_an_enterprise_files_and_supplies_its_own_project_but_does_not_decide():
    assert can(ENTERPRISE, Action.PROJECT_FILE)
    assert can(ENTERPRISE, Action.PROJECT_SUPPLY, OWN_PROJECT)
    assert not can(OTHER_ENTERPRISE, Action.PROJECT_SUPPLY, OWN_PROJECT)
    assert not can(ENTERPRISE, Action.TASK_DECIDE)
    assert not can(ENTERPRISE, Action.TASK_DECIDE, FGW_TASK)
    assert not can(ENTERPRISE, Action.INSPECTION_RECORD)
    assert not can(ENTERPRISE, Action.USER_MANAGE)
    # it reads its own project and commitments, not another enterprise's
    assert can(ENTERPRISE, Action.PROJECT_READ, OWN_PROJECT)
    assert not can(ENTERPRISE, Action.PROJECT_READ, Owned(enterprise_id=4))
    assert can(ENTERPRISE, Action.COMMITMENT_SIGN, OWN_PROJECT)
    assert not can(OTHER_ENTERPRISE, Action.COMMITMENT_SIGN, OWN_PROJECT)


def test_a_reviewer_decides_only_its_own_departments_tasks():
    assert can(REVIEWER, Action.TASK_DECIDE, FGW_TASK)
    assert not can(REVIEWER, Action.TASK_DECIDE, ZJ_TASK)
    assert not can(REVIEWER, Action.TASK_DECIDE, Owned())  # a task of no known department
    assert can(REVIEWER, Action.TASK_QUEUE_READ, FGW_TASK)
    assert not can(REVIEWER, Action.TASK_QUEUE_READ, ZJ_TASK)
    # it neither files nor administers
    assert not can(REVIEWER, Action.PROJECT_FILE)
    assert not can(REVIEWER, Action.CATALOGUE_MANAGE)
    assert scoped(REVIEWER, Action.TASK_DECIDE)


def test_no_one_but_the_departments_reviewer_decides():
    assert roles_for(Action.TASK_DECIDE) == {Role.REVIEWER}
    for actor in (ENTERPRISE, AGENT, REGULATOR, ADMIN):
        assert not can(actor, Action.TASK_DECIDE, FGW_TASK), actor.role


def test_a_regulator_reads_broadly_but_neither_decides_nor_files():
    for action in (
        Action.PROJECT_READ,
        Action.TASK_QUEUE_READ,
        Action.AUDIT_READ,
        Action.AUDIT_SEARCH,
        Action.AGENT_READ,
        Action.COMMITMENT_READ,
        Action.COMPLIANCE_READ,
        Action.ENTERPRISE_READ,
    ):
        assert can(REGULATOR, action, OWN_PROJECT), action
        assert can(REGULATOR, action, ZJ_TASK), action
        assert not scoped(REGULATOR, action), action
    assert can(REGULATOR, Action.INSPECTION_RECORD)
    for action in (
        Action.TASK_DECIDE,
        Action.PROJECT_FILE,
        Action.PROJECT_SUPPLY,
        Action.COMMITMENT_SIGN,
        Action.COMMITMENT_COUNTERSIGN,
        Action.USER_MANAGE,
    ):
        assert not can(REGULATOR, action), action


def test_an_agent_works_only_its_own_assignments():
    mine, theirs = Owned(agent_id=6), Owned(agent_id=99)
    assert can(AGENT, Action.AGENT_WORK, mine)
    assert not can(AGENT, Action.AGENT_WORK, theirs)
    assert can(AGENT, Action.AGENT_DESK)
    assert not can(ADMIN, Action.AGENT_DESK)  # the administrator has no desk of its own
    assert not can(AGENT, Action.AGENT_MANAGE)
    assert not can(AGENT, Action.TASK_DECIDE, FGW_TASK)


def test_the_administrator_runs_the_centre_but_does_not_decide_or_inspect():
    for action in (
        Action.USER_MANAGE,
        Action.CATALOGUE_MANAGE,
        Action.CALENDAR_MANAGE,
        Action.CAPACITY_MANAGE,
        Action.PLOT_MANAGE,
        Action.AGENT_MANAGE,
        Action.COMMITMENT_COUNTERSIGN,
        Action.PROJECT_FILE,  # at the one window (综合窗口), on an enterprise's behalf
    ):
        assert can(ADMIN, action), action
    assert not can(ADMIN, Action.TASK_DECIDE, FGW_TASK)
    assert not can(ADMIN, Action.INSPECTION_RECORD)
    assert not can(ADMIN, Action.COMMITMENT_SIGN, OWN_PROJECT)


def test_only_the_administrator_manages_accounts():
    assert roles_for(Action.USER_MANAGE) == {Role.ADMIN}
    for actor in (ENTERPRISE, REVIEWER, AGENT, REGULATOR):
        assert not can(actor, Action.USER_MANAGE)
        with pytest.raises(AccessForbidden) as raised:
            require(actor, Action.USER_MANAGE)
        assert isinstance(raised.value, Forbidden)  # answered 403 like every Forbidden
        assert raised.value.action is Action.USER_MANAGE
    require(ADMIN, Action.USER_MANAGE)  # no exception


def test_an_unknown_role_can_do_nothing():
    stranger = Actor("x", "visitor", 99, department="fgw", enterprise_id=3)
    for action in Action:
        assert not can(stranger, action), action
        assert not can(stranger, action, OWN_PROJECT), action
        assert not scoped(stranger, action), action
    with pytest.raises(AccessForbidden, match="visitor"):
        require(stranger, Action.PROJECT_READ)


def test_every_action_is_granted_to_some_role_and_every_role_to_something():
    assert set(GRANTS) == set(Action)
    for action in Action:
        assert roles_for(action), f"{action} has no role"
    granted = {role for row in GRANTS.values() for role in row}
    assert granted == set(Role)
    assert all(role in policy.ROLE_LABELS for role in Role)


def test_a_role_added_without_grants_gets_nothing(monkeypatch):
    """A role added to the enum but not to the table may do nothing (there are no default grants)."""
    extended = StrEnum("Role", {**{r.name: r.value for r in Role}, "AUDITOR": "auditor"})
    monkeypatch.setattr(policy, "Role", extended)
    auditor = Actor("aud", extended.AUDITOR, 50, department="fgw", enterprise_id=3)
    assert [a for a in Action if can(auditor, a) or can(auditor, a, OWN_PROJECT)] == []
    assert all(extended.AUDITOR not in roles_for(a) for a in Action)
    with pytest.raises(AccessForbidden):
        require(auditor, Action.AUDIT_SEARCH)
    # the roles already in the table keep their grants
    assert can(Actor("admin", extended.ADMIN, 1), Action.USER_MANAGE)


def test_scoped_grants_without_a_resource_admit_the_role_but_not_anothers_thing():
    """A guard asks without the record (may this role ever do it?); the service asks again."""
    assert can(ENTERPRISE, Action.PROJECT_SUPPLY)
    assert not can(ENTERPRISE, Action.PROJECT_SUPPLY, Owned(enterprise_id=None))
    assert GRANTS[Action.PROJECT_SUPPLY][Role.ENTERPRISE] is Scope.OWN


def test_guards_admit_exactly_the_roles_they_admitted_before_the_policy():
    """The route guards' role sets before they were read from the policy (behaviour kept)."""
    before = {
        Action.USER_MANAGE: {"admin"},
        Action.ENTERPRISE_READ: {"admin", "regulator", "agent"},
        Action.ENTERPRISE_MANAGE: {"admin"},
        Action.CATALOGUE_MANAGE: {"admin"},
        Action.CALENDAR_MANAGE: {"admin"},
        Action.CAPACITY_MANAGE: {"admin"},
        Action.JOBS_RUN: {"admin"},
        Action.JOBS_READ: {"admin"},
        Action.AUDIT_SEARCH: {"admin", "regulator"},
        Action.PROJECT_FILE: {"enterprise", "admin"},
        Action.PROJECT_SUPPLY: {"enterprise"},
        Action.TASK_QUEUE_READ: {"reviewer", "regulator", "admin"},
        Action.TASK_DECIDE: {"reviewer"},
        Action.AGENT_DESK: {"agent"},
        Action.AGENT_MANAGE: {"admin"},
        Action.AGENT_READ: {"agent", "admin", "regulator"},
        Action.AGENT_WORK: {"agent", "admin"},
        Action.COMMITMENT_KEY_REGISTER: {"enterprise", "admin"},
        Action.COMMITMENT_DRAFT: {"enterprise", "admin"},
        Action.COMMITMENT_READ: {"enterprise", "regulator", "admin"},
        Action.COMMITMENT_SIGN: {"enterprise"},
        Action.COMMITMENT_COUNTERSIGN: {"admin"},
        Action.INSPECTION_RECORD: {"regulator"},
        Action.COMPLIANCE_READ: {"regulator", "admin"},
        Action.COMPLIANCE_MANAGE: {"admin"},
        Action.PLOT_MANAGE: {"admin"},
    }
    for action, roles in before.items():
        assert roles_for(action) == roles, action


def test_an_intermediary_works_only_the_activities_it_was_chosen_for():
    """Issue 17: the first role added after the restructuring — its rows in the table and a scope
    (the organisation it belongs to), nothing else."""
    mine, theirs = Owned(intermediary_id=2), Owned(intermediary_id=3)
    assert can(INTERMEDIARY, Action.INTERMEDIARY_WORK, mine)
    assert not can(INTERMEDIARY, Action.INTERMEDIARY_WORK, theirs)
    assert not can(INTERMEDIARY, Action.INTERMEDIARY_WORK, Owned())  # an activity not chosen yet
    assert scoped(INTERMEDIARY, Action.INTERMEDIARY_WORK)
    assert roles_for(Action.INTERMEDIARY_WORK) == {Role.INTERMEDIARY}
    # it reads no project, decides nothing, files nothing, chooses nothing
    allowed = {a for a in Action if can(INTERMEDIARY, a)}
    assert allowed == {Action.INTERMEDIARY_WORK, Action.SUPERVISION_READ}
    assert scoped(INTERMEDIARY, Action.SUPERVISION_READ)  # its own organisation's 督办 only
    # an intermediary of no organisation owns nothing
    stray = Actor("im0", Role.INTERMEDIARY, 10)
    assert not can(stray, Action.INTERMEDIARY_WORK, Owned(intermediary_id=None))
    # nobody else works an intermediary's activities, not even the administrator
    for actor in (ENTERPRISE, REVIEWER, AGENT, REGULATOR, ADMIN):
        assert not can(actor, Action.INTERMEDIARY_WORK, mine), actor.role


def test_the_enterprise_reports_its_own_activities_and_chooses_its_intermediaries():
    for action in (Action.ACTIVITY_REPORT, Action.INTERMEDIARY_CHOOSE):
        assert roles_for(action) == {Role.ENTERPRISE}
        assert can(ENTERPRISE, action, OWN_PROJECT)
        assert not can(OTHER_ENTERPRISE, action, OWN_PROJECT)
        assert not can(INTERMEDIARY, action, OWN_PROJECT)
    assert roles_for(Action.INTERMEDIARY_MANAGE) == {Role.ADMIN}
    assert roles_for(Action.INTERMEDIARY_READ) == {
        Role.ENTERPRISE,
        Role.AGENT,
        Role.REGULATOR,
        Role.ADMIN,
    }
    assert policy.ROLE_LABELS[Role.INTERMEDIARY][0] == "中介机构"


def test_supervisions_are_read_by_all_but_reviewers_each_in_its_scope():
    """督办 records: the administrator and regulators every one; an enterprise, an agent and an
    intermediary their own; a department's reviewer none."""
    assert roles_for(Action.SUPERVISION_READ) == {
        Role.ADMIN,
        Role.REGULATOR,
        Role.ENTERPRISE,
        Role.AGENT,
        Role.INTERMEDIARY,
    }
    assert not can(REVIEWER, Action.SUPERVISION_READ)
    for actor in (ADMIN, REGULATOR):
        assert not scoped(actor, Action.SUPERVISION_READ), actor.role
    for actor in (ENTERPRISE, AGENT):
        assert scoped(actor, Action.SUPERVISION_READ), actor.role
