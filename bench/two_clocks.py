"""What following both clocks costs (issue 17): the live forecast of a project with its
activities (four passes over steps and activities, then CPM) against the review steps alone,
and the daily job's activities step (督办 scan + re-forecast of every project with an open
activity) over N filed projects.

    PYTHONPATH=$PWD python bench/two_clocks.py [N] [--db URL]

CPU seconds (``time.process_time``) are printed beside the load average; a wall-clock figure on a
shared machine means little.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from sqlalchemy import select, update

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.orm import ProjectActivityRow, ProjectRow
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import filing, progress
from approvals.services import intermediaries as im
from migrations.runner import upgrade
from storage.engine import make_engine, make_session_factory

FILED = date(2026, 3, 2)
TODAY = date(2026, 4, 20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=40)
    ap.add_argument("--db", default="sqlite:////tmp/onetrip-bench-two-clocks.sqlite3")
    args = ap.parse_args()
    if args.db.startswith("sqlite:////") and os.path.exists(args.db[10:]):
        os.remove(args.db[10:])
    engine = make_engine(args.db)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as s:
        accounts = seed_demo_accounts(s)
        u = accounts.users["enterprise1"]
        ent = Actor(u.username, "enterprise", u.id, enterprise_id=u.enterprise_id)
        cal = work_calendar(s)
        doc = sample_project_doc()
        for i in range(args.n):
            filing.file_project(
                s, ent, cal, name=f"bench {i}", attributes=doc["attributes"],
                regional_assessments=doc["regional_assessments"], filed_on=FILED,
            )  # fmt: skip
        s.commit()
        ids = list(s.scalars(select(ProjectRow.id)))

    def replan_all(label: str) -> float:
        with sessions() as s:
            projects = [s.get(ProjectRow, i) for i in ids]
            for p in projects:
                p.steps  # noqa: B018 - loaded before the clock starts
            t0 = time.process_time()
            for p in projects:
                progress.replan(s, p, TODAY, cal, "bench", "bench")
            cpu = time.process_time() - t0
            s.rollback()
        print(
            f"{label}: {cpu / len(ids) * 1000:.2f} ms CPU per project replan ({len(ids)} projects)"
        )
        return cpu

    both = replan_all("both clocks")
    with sessions() as s:  # the review steps alone: no graph stored (as before 0019)
        s.execute(update(ProjectActivityRow).values(requires=None))
        s.commit()
    alone = replan_all("review steps alone")
    print(f"ratio both/alone: {both / alone:.2f}")
    with sessions() as s:
        s.execute(select(ProjectActivityRow.id).limit(1))
        im.backfill_activities(s, cal, FILED)  # the graph back
        s.commit()
    with sessions() as s:
        t0 = time.process_time()
        raised = im.supervise_overdue(s, TODAY, cal)
        followed = im.follow_open_activities(s, TODAY, cal)
        s.commit()
        cpu = time.process_time() - t0
    print(
        f"daily activities step: {cpu:.2f} s CPU for {followed} projects re-forecast,"
        f" {len(raised)} supervisions"
    )
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
