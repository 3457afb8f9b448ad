"""The agents' daily alert scan over N active projects (issue 6 target: 10,000 in under 2 s).

The database is filled in bulk with SQLAlchemy Core — not through the filing use case N times:
the shipped catalogue's sample project is planned once and its 25 steps (30 department tasks)
are copied onto N projects filed on different days, at different points of their plans, some of
them running late (slack used up), with review clocks due around today (warning, overdue), 容缺
deferrals falling due, and joint-meeting actions overdue; 50 agents carry them.  Then the scan
(:func:`agent_service.services.alert_scan.scan_alerts`) runs in a fresh process-level session, timed:

* the first scan of the day (it inserts the day's alerts into the inboxes) and a repeat scan
  the same day (deduplicated: nothing new), ``--rounds`` times (the day's alerts deleted
  before each round, and on PostgreSQL vacuumed away: a real inbox gets each day once),
* the collection alone (:func:`agent_service.services.alert_scan.collect_alerts`, no writes), best of 3;
* and one agent's reads over their ~200 projects: dashboard, calendar feed, digest.

    python bench/alerts.py --db sqlite:///bench-alerts.sqlite3
    python bench/alerts.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_alerts
    python bench/alerts.py --db … --reuse      # time again on the database of an earlier run

Figures and the machine load go to bench/README.md ("Proxy agents (issue 6)").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url

from access.actor import Actor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access.orm import UserRow  # noqa: E402
from agent_service.orm import (  # noqa: E402
    AgentProfileRow,
    AlertRow,
    MeetingActionRow,
    MeetingRow,
)
from agent_service.services import alert_scan as alert_scan_service  # noqa: E402
from agent_service.services import dashboard as dashboard_service  # noqa: E402
from agent_service.services import digest as digest_service  # noqa: E402
from agent_service.services import feeds as feeds_service  # noqa: E402
from api.agent_ports import AGENT_CHECKPOINTS as CP  # noqa: E402
from api.demo import sample_project  # noqa: E402
from api.seed import demo_password_hash, seed_demo_accounts  # noqa: E402
from approvals.catalog import parse_catalog  # noqa: E402
from approvals.orm import DeferralRow, ProjectRow, StepRow, TaskRow  # noqa: E402
from approvals.planning import plan  # noqa: E402
from approvals.service import ensure_default_catalogue, work_calendar  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.engine import (  # noqa: E402
    begin_write,
    ensure_database,
    is_sqlite,
    make_engine,
    make_session_factory,
)

TODAY = date(2026, 6, 1)  # a Monday
AGENTS = 50
BATCH = 5000


def fresh_database(url: str):
    if is_sqlite(url):
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        ensure_database(url)
    engine = make_engine(url)
    if not is_sqlite(url):
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        reset_database(engine)
    upgrade(engine)
    return engine


def fill(engine, n: int, seed: int = 6) -> dict[str, int]:
    """N active projects in bulk; returns the row counts."""
    rng = random.Random(seed)
    with make_session_factory(engine)() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        catalog_row = ensure_default_catalogue(session)
        catalogue = parse_catalog(catalog_row.document, "bench")
        calendar = work_calendar(session)
        session.execute(
            insert(UserRow),
            [
                {
                    "username": f"bench-agent-{i:03d}",
                    "password_hash": demo_password_hash(),
                    "role": "agent",
                    "display_name": f"代办员 {i:03d}",
                    "phone": f"0571-8700{i:04d}",
                    "email": "",
                    "active": True,
                }
                for i in range(AGENTS)
            ],
        )
        agent_ids = list(
            session.scalars(select(UserRow.id).where(UserRow.username.like("bench-agent-%")))
        )
        session.execute(
            insert(AgentProfileRow),
            [
                {
                    "user_id": a,
                    "regions": ["330110"],
                    "industries": ["*"],
                    "capacity": 250,
                    "active": True,
                    "office": "",
                }
                for a in agent_ids
            ],
        )
        enterprise_id = accounts.enterprises[0].id
        session.commit()

    base = plan(catalogue, sample_project(), calendar, TODAY)
    items = base.items
    today_seq = calendar.sequence(TODAY)
    back = [TODAY]  # back[k]: the working day k working days before TODAY
    day = TODAY
    while len(back) < 60:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            back.append(day)
    projects, steps, tasks, deferrals, meetings, actions = [], [], [], [], [], []
    step_id = task_id = deferral_id = meeting_id = action_id = 0
    for pid in range(1, n + 1):
        age = rng.randrange(0, 55)  # working days since filing
        filed = back[age]
        seq = calendar.sequence(filed)
        delay = 0 if rng.random() < 0.75 else rng.randint(1, 4)
        finish = base.makespan + delay
        projects.append(
            {
                "id": pid,
                "code": f"2026-330110-34-03-{pid:06d}",
                "name": f"告警基准项目{pid}",
                "enterprise_id": enterprise_id,
                "catalog_id": catalog_row.id,
                "plot_code": None,
                "attributes": {"industry": "equipment"},
                "regional_assessments": [],
                "form": {},
                "filed_on": filed,
                "status": "in_review",
                "version": 1,
                "baseline": {},
                "baseline_finish": seq.date_of(base.makespan - 1),
                "baseline_makespan": base.makespan,
                "serial_workdays": base.serial,
                "predicted_finish": seq.date_of(finish - 1),
                "agent_user_id": None if rng.random() < 0.02 else agent_ids[pid % AGENTS],
            }
        )
        for pos, item in enumerate(items):
            step_id += 1
            shift = delay if item.es >= 1 else 0
            f_es, f_ef = item.es + shift, item.ef + shift
            slack = max(item.slack - delay, 0) if delay else item.slack
            if f_ef <= age:
                status, t_status = "done", "approved"
            elif f_es <= age:
                status, t_status = "in_progress", "in_review"
            else:  # ready when its turn has come, else waiting for prerequisites
                status = "ready" if f_es <= age + 1 else "waiting"
                t_status = status
            steps.append(
                {
                    "id": step_id,
                    "project_id": pid,
                    "code": item.code,
                    "name": item.name,
                    "name_en": item.name_en,
                    "kind": item.kind,
                    "mode": item.mode,
                    "stage": item.stage,
                    "days": item.days,
                    "position": pos,
                    "departments": list(item.departments),
                    "items": list(item.items),
                    "requires": dict(item.requires),
                    "status": status,
                    "baseline_es": item.es,
                    "baseline_ef": item.ef,
                    "forecast_es": f_es,
                    "forecast_ef": f_ef,
                    "slack": slack,
                    "critical": item.critical,
                    "actual_start": seq.date_of(f_es) if status != "waiting" else None,
                    "actual_end": seq.date_of(max(f_ef - 1, f_es)) if status == "done" else None,
                }
            )
            for dept in item.departments:
                task_id += 1
                accepted = due = None
                if t_status in {"in_review", "approved"}:
                    accepted = seq.date_of(f_es)
                    due = seq.date_of(max(f_es + item.days - 1, f_es))
                    if t_status == "in_review":  # due around today: a few late, some near
                        due = (
                            today_seq.date_of(rng.randint(0, 15))
                            if rng.random() < 0.95
                            else back[rng.randint(1, 5)]
                        )
                tasks.append(
                    {
                        "id": task_id,
                        "project_id": pid,
                        "step_id": step_id,
                        "department": dept,
                        "status": t_status,
                        "days": item.days,
                        "ready_on": seq.date_of(f_es) if t_status != "waiting" else None,
                        "accepted_on": accepted,
                        "due_on": due,
                        "decided_on": seq.date_of(max(f_ef - 1, f_es))
                        if t_status == "approved"
                        else None,
                        "stopped_since": None,
                        "stopped_days": 0,
                        "stop_kind": None,
                        "reviewer": None,
                        "note": "",
                        "version": 1,
                    }
                )
                if t_status == "in_review" and rng.random() < 0.10:
                    deferral_id += 1
                    deferrals.append(
                        {
                            "id": deferral_id,
                            "task_id": task_id,
                            "material_code": "M-funding-proof",
                            "due_on": today_seq.date_of(rng.randint(0, 10))
                            if rng.random() < 0.8
                            else back[rng.randint(1, 4)],
                            "supplied_on": None if rng.random() < 0.7 else back[1],
                        }
                    )
        if rng.random() < 0.05:
            meeting_id += 1
            held = back[rng.randint(3, 20)]
            meetings.append(
                {
                    "id": meeting_id,
                    "project_id": pid,
                    "title": "联席会议",
                    "held_on": held,
                    "location": "",
                    "agenda": "",
                    "status": "held",
                    "minutes_on": held,
                    "convened_by": "bench",
                }
            )
            for k in range(2):
                action_id += 1
                actions.append(
                    {
                        "id": action_id,
                        "meeting_id": meeting_id,
                        "project_id": pid,
                        "text": f"跟进事项 {k + 1}",
                        "owner": "住建局",
                        "owner_department": None,
                        "due_on": back[rng.randint(0, 3)],
                        "status": "open" if k == 0 else "closed",
                        "closing_note": "",
                    }
                )
    tables = [
        (ProjectRow, projects),
        (StepRow, steps),
        (TaskRow, tasks),
        (DeferralRow, deferrals),
        (MeetingRow, meetings),
        (MeetingActionRow, actions),
    ]
    from storage.base import utcnow

    now = utcnow()
    with engine.begin() as conn:
        for model, rows in tables:
            table = model.__table__
            for column in ("created_at", "updated_at"):
                if column in table.c:
                    for r in rows:
                        r[column] = now
            for i in range(0, len(rows), BATCH):
                conn.execute(table.insert(), rows[i : i + BATCH])
        if engine.dialect.name == "postgresql":
            for model, _ in tables:
                name = model.__tablename__
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )
                conn.execute(text(f"ANALYZE {name}"))
        else:
            conn.execute(text("ANALYZE"))
    return {model.__tablename__: len(rows) for model, rows in tables}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (wiped first)")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="first scans of the day timed (default 3)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (no refill)"
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.reuse:
        engine = fresh_database(args.db)
        seconds, counts = timed(lambda: fill(engine, args.projects))
        print(f"filled in {seconds:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        engine.dispose()

    engine = make_engine(args.db)
    factory = make_session_factory(engine)
    with factory() as session:
        calendar = work_calendar(session)

        def scan():
            result = alert_scan_service.scan_alerts(session, TODAY, calendar, checkpoints=CP)
            session.commit()
            return result

        firsts, repeats = [], []
        for _ in range(args.rounds):  # each round: a day with an empty inbox, then a repeat
            session.execute(delete(AlertRow).where(AlertRow.raised_on == TODAY))
            session.commit()
            if (
                engine.dialect.name == "postgresql"
            ):  # no dead rows of earlier rounds to wade through
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE agent_alerts"))
            first_s, first = timed(scan)
            again_s, again = timed(scan)
            firsts.append(first_s)
            repeats.append(again_s)
        collect = []
        for _ in range(3):
            s, _ = timed(
                lambda: alert_scan_service.collect_alerts(session, TODAY, calendar, checkpoints=CP)
            )
            session.rollback()
            collect.append(s)
        # one agent's reads (each bench agent carries about 200 projects)
        user = session.scalar(select(UserRow).where(UserRow.username == "bench-agent-007"))
        who = Actor(user.username, "agent", user.id)
        board_s, board = timed(
            lambda: dashboard_service.dashboard(session, who, TODAY, calendar, checkpoints=CP)
        )
        feed_s, feed = timed(
            lambda: feeds_service.calendar_feed(
                session, who, user.id, TODAY, calendar, checkpoints=CP
            )
        )
        digest_s, _ = timed(
            lambda: digest_service.digest(
                session, TODAY, calendar, username=user.username, checkpoints=CP
            )
        )
        session.rollback()
        kinds: dict[str, int] = {}
        for a in first.alerts:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        stored = session.scalar(select(text("count(*)")).select_from(AlertRow.__table__))
    engine.dispose()
    backend = make_url(args.db).get_backend_name()

    def spread(xs: list[float]) -> str:
        xs = sorted(xs)
        return f"min {xs[0]:.3f} / median {xs[len(xs) // 2]:.3f} / max {xs[-1]:.3f} s"

    print(f"backend {backend}, {first.projects} active projects, {first.at_risk} at risk")
    print("alerts by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(
        f"first scan of the day ({args.rounds} rounds; {len(first.alerts)} alerts, "
        f"{first.new} stored): {spread(firsts)} (the very first, cold: {firsts[0]:.3f} s)"
    )
    print(f"repeat scan, same day ({again.new} new; {stored} in the inbox): {spread(repeats)}")
    print(f"collection only (no writes), best of 3: {min(collect):.3f} s")
    print(
        f"one agent ({len(board['projects'])} projects): dashboard {board_s:.3f} s, "
        f"calendar.ics {feed_s:.3f} s ({len(feed) // 1024} KiB), digest {digest_s:.3f} s"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
