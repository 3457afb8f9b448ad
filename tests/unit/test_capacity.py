"""Capacity-aware forecasts: reviewers per department, work already started, absences."""

from approvals.capacity import OpenTask, plan_with_capacity, update_with_capacity


def feasible(tasks, plan, reviewers, absences=None):
    by = {t.key: t for t in tasks}
    for t in tasks:
        for p in t.predecessors:
            assert plan.start[t.key] >= plan.finish[p], (p, t.key)
        assert plan.start[t.key] >= t.release
    horizon = max(plan.finish.values(), default=0)
    for dept, n in reviewers.items():
        for day in range(horizon):
            busy = sum(
                1
                for k, t in by.items()
                if t.department == dept and plan.start[k] <= day < plan.finish[k]
            )
            cap = n - (absences or {}).get(dept, {}).get(day, 0)
            started = sum(
                1 for t in tasks if t.started and t.department == dept and day < t.remaining
            )
            assert busy <= max(cap, started), (dept, day, busy, cap)


def test_one_reviewer_serialises_the_department_and_finishes_projects_soonest():
    tasks = [
        OpenTask("a", "P1", "zjj", 5),
        OpenTask("b", "P2", "zjj", 1),
        OpenTask("c", "P3", "zjj", 2),
    ]
    plan = plan_with_capacity(tasks, {"zjj": 1}, time_limit=0.5)
    feasible(tasks, plan, {"zjj": 1})
    # shortest first minimises the sum of completion times: b, c, a
    assert plan.orders["zjj"] == ["b", "c", "a"]
    assert plan.project_finish == {"P2": 1, "P3": 3, "P1": 8}


def test_two_reviewers_work_in_parallel():
    tasks = [OpenTask("a", "P1", "zjj", 3), OpenTask("b", "P2", "zjj", 3)]
    plan = plan_with_capacity(tasks, {"zjj": 2}, time_limit=0.3)
    assert plan.start == {"a": 0, "b": 0}


def test_started_work_keeps_its_reviewer_and_releases_its_dependents():
    tasks = [
        OpenTask("s", "P1", "zjj", 3, started=True),
        OpenTask("next", "P1", "zrzy", 2, ("s",)),
        OpenTask("other", "P2", "zjj", 1),
    ]
    plan = plan_with_capacity(tasks, {"zjj": 1, "zrzy": 1}, time_limit=0.3)
    assert plan.start["s"] == 0 and plan.finish["s"] == 3
    assert plan.start["other"] >= 3  # the only reviewer is busy with the started task
    assert plan.start["next"] == 3
    assert plan.orders["zjj"][0] == "s"


def test_absences_take_reviewers_away():
    tasks = [OpenTask("a", "P1", "zjj", 2)]
    plan = plan_with_capacity(tasks, {"zjj": 1}, {"zjj": {0: 1, 1: 1}}, time_limit=0.3)
    assert plan.start["a"] == 2


def test_more_started_work_than_reviewers_is_reported_as_overload():
    tasks = [OpenTask(f"s{i}", f"P{i}", "zjj", 2, started=True) for i in range(3)] + [
        OpenTask("w", "P9", "zjj", 1)
    ]
    plan = update_with_capacity(tasks, {"zjj": 2})
    assert plan.overloaded == {"zjj": 2}
    assert plan.start["w"] >= 2


def test_incremental_update_keeps_the_previous_order_and_respects_everything():
    tasks = [
        OpenTask(
            f"t{i}",
            f"P{i % 3}",
            "zjj" if i % 2 else "zrzy",
            1 + i % 4,
            (f"t{i - 2}",) if i >= 2 else (),
        )
        for i in range(12)
    ]
    reviewers = {"zjj": 1, "zrzy": 2}
    full = plan_with_capacity(tasks, reviewers, time_limit=0.5)
    feasible(tasks, full, reviewers)
    again = update_with_capacity(tasks, reviewers, previous=full.start)
    feasible(tasks, again, reviewers)
    assert again.start == full.start  # the same order reproduces the same plan
    # a new task joins without upsetting the order of the others
    more = [*tasks, OpenTask("new", "P9", "zjj", 1)]
    updated = update_with_capacity(more, reviewers, previous=full.start)
    feasible(more, updated, reviewers)
    order_before = [k for k in full.orders["zjj"]]
    assert [k for k in updated.orders["zjj"] if k != "new"] == order_before


def test_nothing_open_gives_an_empty_plan():
    plan = update_with_capacity([], {"zjj": 1})
    assert plan.start == {} and plan.project_finish == {}
