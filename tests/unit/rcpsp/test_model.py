"""Instance validation, the schedule validator and the multi-project builder."""

from __future__ import annotations

import pytest

from approvals.rcpsp.errors import InfeasibleScheduleError, InstanceError
from approvals.rcpsp.model import (
    Instance,
    ReviewTask,
    Schedule,
    build_multi_project,
    department_orders,
    objective_value,
    resource_orders,
    validate_schedule,
)


def chain3() -> Instance:
    # 0 -> 1 -> 2, and job 3 in parallel; one resource of capacity 2
    return Instance(
        durations=(2, 3, 1, 4),
        successors=((1,), (2,), (), ()),
        demands=((1,), (2,), (1,), (1,)),
        capacities=(2,),
    )


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"durations": (2, -1, 1, 4)}, "job 1: negative duration"),
        ({"successors": ((1,), (7,), (), ())}, "unknown successor id 7"),
        ({"successors": ((1,), (2,), (0,), ())}, "cycle"),
        ({"successors": ((0,), (2,), (), ())}, "own successor"),
        ({"demands": ((1,), (3,), (1,), (1,))}, "exceeds its capacity 2"),
        ({"demands": ((1, 0), (2,), (1,), (1,))}, "expected 1"),
        ({"capacity_profile": ((2, 3),)}, "outside 0..2"),
        ({"release_times": (0, -1, 0, 0)}, "negative release"),
        ({"durations": (2, 1.5, 1, 4)}, "must be an integer"),
    ],
)
def test_invalid_instances_are_refused(kwargs, pattern):
    base = {
        "durations": (2, 3, 1, 4),
        "successors": ((1,), (2,), (), ()),
        "demands": ((1,), (2,), (1,), (1,)),
        "capacities": (2,),
    }
    base.update(kwargs)
    with pytest.raises(InstanceError, match=pattern):
        Instance(**base)


def test_validator_accepts_a_feasible_schedule_and_reports_the_makespan():
    assert validate_schedule(chain3(), [0, 2, 5, 5]) == 9


@pytest.mark.parametrize(
    ("starts", "kind", "pattern"),
    [
        ([0, 1, 5, 5], "precedence", r"precedence 0 -> 1"),
        ([0, 2, 5, 2], "capacity", r"R1 over capacity in period 2: usage 3 > capacity 2"),
        ([0, 2, 5], "length", "3 start times"),
        ([0, 2, -1, 5], "start", "job 2"),
    ],
)
def test_validator_names_the_violation(starts, kind, pattern):
    with pytest.raises(InfeasibleScheduleError, match=pattern) as info:
        validate_schedule(chain3(), starts)
    assert info.value.kind == kind


def test_validator_uses_capacity_profile_and_release_times():
    inst = Instance(
        durations=(2, 3, 1, 4),
        successors=((1,), (2,), (), ()),
        demands=((1,), (2,), (1,), (1,)),
        capacities=(2,),
        capacity_profile=((2, 2, 2, 1),),
        release_times=(0, 0, 0, 1),
    )
    with pytest.raises(InfeasibleScheduleError, match="period 3") as info:
        validate_schedule(
            inst, [0, 2, 5, 5 - 4 + 4]
        )  # job 1 needs 2 units in period 3 where only 1 is left
    assert info.value.kind == "capacity"
    with pytest.raises(InfeasibleScheduleError) as info:
        validate_schedule(inst, [0, 4, 7, 0])
    assert info.value.kind == "release"
    assert validate_schedule(inst, [0, 4, 7, 7]) == 11


def test_psplib_dict_uses_1_based_labels():
    sched = Schedule(starts=(0, 2, 5, 5), makespan=9, objective=9.0)
    assert sched.to_psplib_dict(chain3()) == {
        "makespan": 9,
        "start": {"1": 0, "2": 2, "3": 5, "4": 5},
    }


def approvals_tasks() -> list[ReviewTask]:
    return [
        ReviewTask("A1", "A", "planning", 3),
        ReviewTask("A2", "A", "fire", 2, predecessors=("A1",)),
        ReviewTask("B1", "B", "planning", 2, release=4),
        ReviewTask("B2", "B", "env", 1, predecessors=("B1",)),
        ReviewTask("C1", "C", "fire", 4),
    ]


def test_builder_maps_departments_projects_releases_and_absences():
    inst = build_multi_project(
        approvals_tasks(),
        {"planning": 1, "fire": 2, "env": 1},
        absences={"fire": {0: 1, 2: 2}},
        project_weights={"B": 3},
    )
    assert inst.resource_names == ("planning", "fire", "env")
    assert inst.job_labels == ("A1", "A2", "B1", "B2", "C1")
    assert inst.demands[1] == (0, 1, 0)
    assert inst.successors[0] == (1,) and inst.successors[2] == (3,)
    assert inst.release_times == (0, 0, 4, 0, 0)
    assert inst.capacity_profile == ((1, 1, 1), (1, 2, 0), (1, 1, 1))
    assert inst.projects == (0, 0, 1, 1, 2)
    assert inst.project_weights == (1.0, 3.0, 1.0)


@pytest.mark.parametrize(
    ("tasks", "depts", "pattern"),
    [
        (
            [ReviewTask("A", "p", "x", 1), ReviewTask("A", "p", "x", 1)],
            {"x": 1},
            "duplicate task key",
        ),
        ([ReviewTask("A", "p", "y", 1)], {"x": 1}, "unknown department"),
        ([ReviewTask("A", "p", "x", 1, predecessors=("Z",))], {"x": 1}, "unknown predecessor"),
        ([ReviewTask("A", "p", "x", 1, reviewers=2)], {"x": 1}, "exceeds its capacity"),
        (
            [
                ReviewTask("A", "p", "x", 1, predecessors=("B",)),
                ReviewTask("B", "p", "x", 1, predecessors=("A",)),
            ],
            {"x": 1},
            "cycle",
        ),
    ],
)
def test_builder_refuses_bad_input(tasks, depts, pattern):
    with pytest.raises(InstanceError, match=pattern):
        build_multi_project(tasks, depts)


def test_objectives_and_department_orders():
    inst = build_multi_project(approvals_tasks(), {"planning": 1, "fire": 2, "env": 1})
    starts = [0, 3, 4, 6, 0]
    validate_schedule(inst, starts)
    assert objective_value(inst, starts) == 7.0
    # projects A, B, C finish at 5, 7, 4
    assert objective_value(inst, starts, "weighted_completion") == 16.0
    assert department_orders(inst, starts) == {
        "planning": ["A1", "B1"],
        "fire": ["C1", "A2"],
        "env": ["B2"],
    }
    assert resource_orders(inst, starts)[1] == [4, 1]
    with pytest.raises(InstanceError, match="unknown objective"):
        objective_value(inst, starts, "tardiness")
    with pytest.raises(InstanceError, match=r"needs instance\.projects"):
        objective_value(chain3(), [0, 2, 5, 5], "weighted_completion")
