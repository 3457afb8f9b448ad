"""Efficiency statistics (issue 17 §3): 100,000 finished projects with 3,000,000 task rows; the
statistics of the whole year on PostgreSQL (target < 2 s) and on SQLite (target < 10 s).

The databases are filled in bulk (COPY on PostgreSQL, ``executemany`` on SQLite), not through
the review use cases: the shipped catalogue's items are dealt onto N projects finished in 2025
(25 steps each, five of them merged reviews with a second department: 30 tasks), each task with
its ready, acceptance, due and decision days, clock stops, waiting and approval working days as
the decisions would have stored them; about 8 % of the tasks had a 补正, 10 % a 容缺 deferral,
and each project has five 好差评.  Then :func:`approvals.services.statistics.statistics` — every
query and the Python that turns the histograms into figures — runs for the administration over
the whole year and over one month, best of ``--rounds``.

    python bench/efficiency_stats.py                        # both databases, 100,000 projects
    python bench/efficiency_stats.py --projects 10000       # smaller
    python bench/efficiency_stats.py --reuse                # time again on the databases of a run
    python bench/efficiency_stats.py --only sqlite
    python bench/efficiency_stats.py --reuse --check        # … and compare with every task read
    python bench/efficiency_stats.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/mine \\
        --sqlite sqlite:///bench/out/mine.sqlite3     # databases of one's own

Figures and the machine load go to bench/README.md ("Efficiency statistics (issue 17)").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access.actor import Actor  # noqa: E402
from api.seed import seed_demo_accounts  # noqa: E402
from approvals import efficiency as eff  # noqa: E402
from approvals.catalog import parse_catalog  # noqa: E402
from approvals.orm import TaskFigureRow, TaskRow  # noqa: E402
from approvals.service import ensure_default_catalogue, work_calendar  # noqa: E402
from approvals.services import statistics as st  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.engine import (  # noqa: E402
    begin_write,
    ensure_database,
    is_sqlite,
    make_engine,
    make_session_factory,
)

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_statistics"
SQLITE = "sqlite:///bench/out/bench-statistics.sqlite3"
YEAR = 2025
STEPS, MERGED = 25, 5
INDUSTRIES = ["equipment", "electronics", "chemical", "textile", "food", "logistics"]
ZONE_PLOTS = 400


def fresh_database(url: str):
    if is_sqlite(url):
        path = Path(make_url(url).database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
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


# --- the rows -----------------------------------------------------------------------------------

PROJECT_COLS = [
    "id",
    "code",
    "name",
    "enterprise_id",
    "catalog_id",
    "plot_code",
    "attributes",
    "regional_assessments",
    "form",
    "filed_on",
    "status",
    "version",
    "baseline",
    "baseline_finish",
    "baseline_makespan",
    "serial_workdays",
    "predicted_finish",
    "created_at",
    "updated_at",
    "approval_workdays",
    "coded_on",
    "permit_on",
    "completed_on",
    "saved_waivers",
    "saved_early_starts",
    "saved_merges",
    "saved_splits",
]
STEP_COLS = [
    "id",
    "project_id",
    "code",
    "name",
    "name_en",
    "kind",
    "mode",
    "stage",
    "days",
    "position",
    "departments",
    "items",
    "requires",
    "status",
    "baseline_es",
    "baseline_ef",
    "critical",
    "actual_start",
    "actual_end",
]
TASK_COLS = [
    "id",
    "project_id",
    "step_id",
    "department",
    "status",
    "days",
    "ready_on",
    "accepted_on",
    "due_on",
    "decided_on",
    "stopped_days",
    "note",
    "version",
    "updated_at",
    "step_code",
    "stage",
    "wait_workdays",
    "workdays",
]
CORRECTION_COLS = [
    "id",
    "task_id",
    "requested_on",
    "requested_at",
    "requested_by",
    "reasons",
    "material_codes",
    "resolved_on",
    "stage",
]
DEFERRAL_COLS = ["id", "task_id", "material_code", "due_on", "supplied_on"]
RATING_COLS = [
    "id",
    "project_id",
    "step_code",
    "departments",
    "score",
    "comment",
    "rated_by",
    "rated_at",
    "follow_up_note",
    "department_key",
]
FIGURE_COLS = ["month", "step_code", "department", "workdays", *st._FIGURE_SUMS, "step_id"]


def generate(n: int, catalog_id: int, enterprise_id: int, items, calendar, seed: int = 17):
    """Yield (table, row) for N finished projects (rows as tuples in the column orders above)."""
    rng = random.Random(seed)
    workdays = [
        d
        for d in (date(YEAR, 1, 1) + timedelta(i) for i in range(365 * 3))
        if calendar.is_workday(d)
    ]
    index = {d: i for i, d in enumerate(workdays)}
    depts = sorted({it.department for it in items})
    step_id = task_id = corr_id = def_id = rating_id = 0
    figs: dict[tuple, list] = {}  # the monthly figures the decisions would have added up
    sums = st._FIGURE_SUMS
    for p in range(1, n + 1):
        start = rng.randrange(0, 200)  # the working day of filing
        chosen = (
            rng.sample(items, STEPS)
            if len(items) >= STEPS
            else [rng.choice(items) for _ in range(STEPS)]
        )
        chosen.sort(key=lambda it: it.stage)
        cursor = start
        stage_of_prev = None
        steps_out, tasks_out, extra = [], [], []
        last_by_stage: dict[int, int] = {}
        for pos, it in enumerate(chosen):
            step_id += 1
            if stage_of_prev is not None and it.stage != stage_of_prev:
                cursor = last_by_stage[stage_of_prev] + rng.randrange(1, 15)  # enterprise time
            stage_of_prev = it.stage
            code = it.code if pos < STEPS - MERGED else f"{it.code}+M{pos}"
            dep = [it.department]
            if pos >= STEPS - MERGED:
                dep.append(rng.choice([d for d in depts if d != it.department] or depts))
            end_idx = cursor
            for d in dep:
                task_id += 1
                ready = cursor + rng.randrange(0, 3)
                wait = rng.choice((0, 0, 0, 1, 1, 2, 3))
                acc = ready + wait
                stopped = rng.choice((0,) * 11 + (2, 5))
                took = max(1, int(rng.gauss(it.days * 0.8, it.days * 0.4 + 1)))
                dec = acc + took - 1 + stopped
                due = acc + it.days - 1 + stopped
                status = "approved" if rng.random() > 0.02 else "rejected"
                end_idx = max(end_idx, dec)
                tasks_out.append(
                    (
                        task_id,
                        p,
                        step_id,
                        d,
                        status,
                        it.days,
                        workdays[ready],
                        workdays[acc],
                        workdays[due],
                        workdays[dec],
                        stopped,
                        "",
                        1,
                        None,
                        code,
                        it.stage,
                        wait,
                        took,
                    )
                )
                r = rng.random()
                n_rounds = (1 + (r < 0.02)) if r < 0.08 else 0
                deferred = int(0.08 <= r < 0.18)
                supplied = acc + rng.randrange(0, 4) if deferred else acc
                key = (workdays[dec].replace(day=1), code, d, took)
                row = figs.get(key)
                if row is None:
                    row = figs[key] = [0] * len(sums) + [step_id]
                for i, v in enumerate(
                    (
                        1,
                        status == "approved",
                        due >= dec,
                        1,
                        wait,
                        stopped > 0,
                        stopped,
                        n_rounds > 0,
                        n_rounds,
                        deferred,
                        supplied - acc,
                    )
                ):
                    row[i] += int(v)
                if r < 0.08:
                    for k in range(1 + (r < 0.02)):
                        corr_id += 1
                        extra.append(
                            (
                                "corrections",
                                (
                                    corr_id,
                                    task_id,
                                    workdays[acc + 1 + k],
                                    None,
                                    "bench",
                                    "材料不全",
                                    "[]",
                                    workdays[acc + 2 + k],
                                    "review",
                                ),
                            )
                        )
                elif r < 0.18:
                    def_id += 1
                    extra.append(
                        (
                            "deferrals",
                            (def_id, task_id, "M-x", workdays[acc + 3], workdays[supplied]),
                        )
                    )
            last_by_stage[it.stage] = end_idx
            steps_out.append(
                (
                    step_id,
                    p,
                    code,
                    it.name,
                    it.name_en,
                    "item" if len(dep) == 1 else "merged",
                    "review",
                    it.stage,
                    it.days,
                    pos,
                    dep,
                    [it.code],
                    "{}",
                    "done",
                    0,
                    it.days,
                    False,
                    workdays[cursor],
                    workdays[end_idx],
                )
            )
            cursor = cursor + rng.randrange(0, 3)
        finish = max(last_by_stage.values())
        coded = workdays[start + 1]
        permit = workdays[max(last_by_stage.get(3, finish), start + 2)]
        completed = workdays[finish]
        approval = sum(
            max(
                1, last_by_stage[s] - min(t[7] and index[t[7]] for t in tasks_out if t[15] == s) + 1
            )
            for s in last_by_stage
        )
        standard = rng.random() < 0.6
        yield (
            "projects",
            (
                p,
                f"{YEAR}-330110-34-03-{p:06d}",
                f"基准项目{p}",
                enterprise_id,
                catalog_id,
                f"BENCH-{rng.randrange(ZONE_PLOTS)}" if standard else None,
                {"industry": rng.choice(INDUSTRIES)},
                [],
                {},
                workdays[start],
                "completed",
                1,
                {},
                completed,
                finish - start,
                finish - start,
                completed,
                None,
                None,
                approval,
                coded,
                permit,
                completed,
                rng.choice((0, 0, 5, 10)) if standard else 0,
                rng.choice((0, 3)),
                rng.choice((0, 0, 4)),
                rng.choice((0, 0, 0, 6)),
            ),
        )
        yield from (("steps", s) for s in steps_out)
        yield from (("tasks", t) for t in tasks_out)
        yield from extra
        for s in rng.sample(steps_out, 5):
            rating_id += 1
            score = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]
            yield (
                "ratings",
                (
                    rating_id,
                    p,
                    s[2],
                    s[10],
                    score,
                    "太慢" if score <= 2 else ("" if rng.random() < 0.9 else "满意"),
                    "bench",
                    f"{s[18].isoformat()} 08:00:00.000000",
                    "",
                    ",".join(s[10]),
                ),
            )
    for (month, code, d, took), row in figs.items():
        yield "task_figures", (month, code, d, took, *row)


COLUMNS = {
    "projects": PROJECT_COLS,
    "steps": STEP_COLS,
    "tasks": TASK_COLS,
    "corrections": CORRECTION_COLS,
    "deferrals": DEFERRAL_COLS,
    "ratings": RATING_COLS,
    "task_figures": FIGURE_COLS,
}
ORDER = ["projects", "steps", "tasks", "corrections", "deferrals", "ratings", "task_figures"]


def _json(v):
    import json

    return json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v


def fill(engine, n: int) -> dict[str, int]:
    with make_session_factory(engine)() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        catalog_row = ensure_default_catalogue(session)
        catalogue = parse_catalog(catalog_row.document, "bench")
        calendar = work_calendar(session)
        session.commit()
        catalog_id, enterprise_id = catalog_row.id, accounts.enterprises[0].id
    items = [it for it in catalogue.items.values() if it.kind == "review"]
    batches: dict[str, list[tuple]] = {t: [] for t in ORDER}
    counts = dict.fromkeys(ORDER, 0)
    sqlite = is_sqlite(engine.url.render_as_string())
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        now = "2026-01-01 00:00:00.000000"
        if sqlite:
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA synchronous=OFF")

        def flush(table: str) -> None:
            rows = batches[table]
            if not rows:
                return
            cols = COLUMNS[table]
            rows = [
                tuple(
                    now
                    if (c in ("created_at", "updated_at", "requested_at") and v is None)
                    else _json(v)
                    for c, v in zip(cols, r, strict=True)
                )
                for r in rows
            ]
            if sqlite:
                marks = ",".join("?" * len(cols))
                cur.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
            else:
                with cur.copy(f"COPY {table} ({','.join(cols)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            counts[table] += len(rows)
            batches[table] = []

        for table, row in generate(n, catalog_id, enterprise_id, items, calendar):
            if table == "projects" and len(batches["tasks"]) >= 60_000:
                # the earlier projects are complete: every table in order, parents first
                for t in ORDER:
                    flush(t)
            batches[table].append(row)
        for t in ORDER:
            flush(t)
        if not sqlite:
            for t in ORDER[:-1]:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
                )
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return counts


ZONES = 8  # the bench's plots BENCH-n lie in zone BZ-(n mod 8)


def bring_up_to_date(engine) -> None:
    """The schema to the head revision (for ``--reuse`` on a database filled by an earlier
    version), then what filing and rating would have recorded that the bulk fill does not: each
    project's industry and zone (its plot BENCH-n lies in zone BZ-(n mod 8); the bench's plots
    are not in the registry), each rating's decision day, and the figures by industry and zone."""
    upgrade(engine)
    sqlite = is_sqlite(engine.url.render_as_string())
    with make_session_factory(engine)() as session:
        calendar = work_calendar(session)
    with engine.begin() as conn:
        if conn.scalar(text("SELECT count(*) FROM task_figures_kind WHERE zone_code <> ''")):
            return
        t0 = time.perf_counter()
        number = "CAST(substr(plot_code, 7) AS INTEGER)"  # BENCH-n
        industry = "json_extract(attributes, '$.industry')" if sqlite else "attributes->>'industry'"
        conn.execute(
            text(
                f"UPDATE projects SET industry = {industry},"
                f" zone_code = CASE WHEN plot_code IS NULL THEN NULL"
                f" ELSE 'BZ-' || ({number} % {ZONES}) END"
            )
        )
        conn.execute(
            text(
                "UPDATE ratings SET decided_on = (SELECT max(tasks.decided_on) FROM steps"
                " JOIN tasks ON tasks.step_id = steps.id"
                " WHERE steps.project_id = ratings.project_id AND steps.code = ratings.step_code)"
                " WHERE decided_on IS NULL"
            )
        )
        n = st.rebuild_figures(conn, calendar)
        print(f"figures by industry and zone: {n:,} rows in {time.perf_counter() - t0:.1f} s")
        # databases filled before the generator kept a step id (it kept a task id) per row
        n = st.rebuild_figures(conn, calendar, TaskFigureRow)
        print(f"monthly figures rebuilt from the tasks: {n:,} rows")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # after the bulk updates: what autovacuum would do (PostgreSQL's index-only scans)
        conn.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))


RANGE = (date(YEAR, 1, 15), date(YEAR, 12, 20))  # not on month boundaries
YEAR_SPAN = (date(YEAR, 1, 1), date(YEAR + 1, 6, 30))
JUNE = (date(YEAR, 6, 1), date(YEAR, 6, 30))
CASES = [
    ("year", st.Filters(*YEAR_SPAN)),
    ("month", st.Filters(*JUNE)),
    ("year, one department", st.Filters(*YEAR_SPAN, "zjj")),
    ("year, one industry", st.Filters(*YEAR_SPAN, industry="equipment")),
    ("year, one zone", st.Filters(*YEAR_SPAN, zone="BZ-3")),
    ("year, department + zone + industry", st.Filters(*YEAR_SPAN, "zjj", "BZ-3", "equipment")),
    ("month, one industry", st.Filters(*JUNE, industry="equipment")),
    ("month, one zone", st.Filters(*JUNE, zone="BZ-3")),
    ("15 Jan – 20 Dec", st.Filters(*RANGE)),
    ("15 Jan – 20 Dec, one department", st.Filters(*RANGE, "zjj")),
    ("15 Jan – 20 Dec, one industry", st.Filters(*RANGE, industry="equipment")),
    ("15 Jan – 20 Dec, one zone", st.Filters(*RANGE, zone="BZ-3")),
    ("15 Jan – 20 Dec, zone + industry", st.Filters(*RANGE, zone="BZ-3", industry="equipment")),
]


def time_statistics(engine, rounds: int, check: bool = False) -> dict[str, object]:
    admin = Actor("admin", "admin", 1)
    out: dict[str, object] = {}
    with make_session_factory(engine)() as session:
        calendar = work_calendar(session)
        tasks = session.scalar(select(func.count()).select_from(TaskRow))
        for label, filters in CASES:
            best, cpu, stats = float("inf"), float("inf"), None
            for _ in range(rounds):
                session.rollback()
                t0, c0 = time.perf_counter(), time.process_time()
                stats = st.statistics(session, admin, filters, calendar)
                best = min(best, time.perf_counter() - t0)
                cpu = min(cpu, time.process_time() - c0)
            assert stats is not None
            out[label] = (
                best,
                stats.overall["cases"],
                stats.overall["median_workdays"],
                stats.overall["p90_workdays"],
                cpu,
            )
            if check and ("Dec" in label or "industry" in label or "zone" in label):
                session.rollback()
                whole = st.statistics(session, admin, filters, calendar, from_tasks=True)
                same = (whole.overall, whole.items, whole.projects) == (
                    stats.overall,
                    stats.items,
                    stats.projects,
                )
                print(f"  check {label}: figures == tasks one by one: {same}")
                assert same, label
    out["tasks"] = tasks
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--sqlite", default=SQLITE)
    parser.add_argument("--only", choices=("pg", "sqlite"))
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--check",
        action="store_true",
        help="also compare the filtered and partial periods with every task read one by one",
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    targets = {"pg": (args.pg, 2.0), "sqlite": (args.sqlite, 10.0)}
    results = {}
    for key, (url, target) in targets.items():
        if args.only and key != args.only:
            continue
        if args.reuse:
            engine = make_engine(url)
        else:
            t0 = time.perf_counter()
            engine = fresh_database(url)
            counts = fill(engine, args.projects)
            print(f"{key}: filled {counts} in {time.perf_counter() - t0:.1f} s")
        bring_up_to_date(engine)
        r = time_statistics(engine, args.rounds, args.check)
        engine.dispose()
        results[key] = (r, target)
        for label, _f in CASES:
            secs, cases, median, p90, cpu = r[label]
            print(
                f"{key}: statistics ({label}) over {r['tasks']:,} task rows: {secs:.3f} s"
                f" (CPU {cpu:.3f} s; cases {cases:,}, median {median}, P90 {p90})"
                f"  target < {target:g} s: {'✓' if secs < target else '✗'}"
            )
        print(f"load average: {os.getloadavg()}")
    if results:
        keys = list(results)
        print()
        print("| what | cases | " + " | ".join(f"{k} wall (CPU)" for k in keys) + " |")
        print("|---|---|" + "---|" * len(keys))
        for label, _f in CASES:
            first = results[keys[0]][0][label]
            cells = []
            for k in keys:
                r, target = results[k]
                secs, _c, _m, _p, cpu = r[label]
                cells.append(f"{secs:.2f} s ({cpu:.2f}) {'✓' if secs < target else '✗'}")
            print(f"| {label} | {first[1]:,} | " + " | ".join(cells) + " |")
    print(f"load average after: {os.getloadavg()}")
    _ = eff  # the pure module the figures come from


if __name__ == "__main__":
    main()
