"""Seeded generator of approval-shaped multi-project instances (benchmarks, tests).

Shape (issue 7): several open projects, each a small DAG of review tasks —
an intake review, then parallel reviews by several 审批部门 departments
(some of them chained), then a closing review — with each task needing one
审查人员 reviewer of its department.  Departments have 1-3 reviewers; projects
arrive on different days (release times) and some reviewers are absent on
some days (capacity profile).  The same ``seed`` always gives the same instance.
"""

from __future__ import annotations

import random

from .model import Instance, ReviewTask, build_multi_project


def approval_portfolio(
    seed: int,
    n_tasks: int = 90,
    n_departments: int = 6,
    *,
    releases: bool = True,
    absences: bool = True,
) -> Instance:
    """A reproducible multi-project instance with about ``n_tasks`` tasks.

    Parameters
    ----------
    seed
        Random seed.
    n_tasks
        Target number of tasks (projects are added until it is reached; >= 3).
    n_departments
        Number of departments (>= 2), each with 1-3 reviewers.
    releases, absences
        Draw project arrival days / reviewer absences.
    """
    rng = random.Random(seed)
    depts = {f"D{k + 1}": rng.randint(1, 3) for k in range(n_departments)}
    names = list(depts)
    tasks: list[ReviewTask] = []
    p = 0
    while len(tasks) < n_tasks:
        pk = f"P{p + 1}"
        rel = rng.randint(0, 15) if releases else 0
        intake = ReviewTask(f"{pk}.intake", pk, names[0], rng.randint(1, 3), release=rel)
        group = [intake]
        k = min(rng.randint(2, 7), max(1, n_tasks - len(tasks) - 2))
        reviews = rng.sample(names[1:], min(k, len(names) - 1))
        last: list[str] = []
        for i, d in enumerate(reviews):
            preds = (intake.key,)
            if last and rng.random() < 0.3:  # some reviews need another department's opinion first
                preds = (rng.choice(last),)
            t = ReviewTask(f"{pk}.{d}.{i}", pk, d, rng.randint(1, 10), predecessors=preds)
            group.append(t)
            last.append(t.key)
        group.append(
            ReviewTask(f"{pk}.close", pk, names[0], rng.randint(1, 2), predecessors=tuple(last))
        )
        tasks.extend(group)
        p += 1
    absent = None
    if absences:
        absent = {}
        for d in names:
            days = {}
            for _ in range(rng.randint(0, 3)):
                start = rng.randint(0, 40)
                for day in range(start, start + rng.randint(1, 5)):
                    days[day] = 1
            if days:
                absent[d] = days
    return build_multi_project(
        tasks, depts, absences=absent, name=f"approvals-{seed}-{n_tasks}-{n_departments}"
    )
