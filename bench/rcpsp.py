"""Benchmark of the RCPSP engine (issue 7) against plain CP-SAT.

For every PSPLIB set asked for, a stratified sample of instances (or all of
them) is solved by ``approvals.rcpsp.solve`` and by plain CP-SAT (the same
model as :mod:`approvals.rcpsp.cpsat`, no hint, horizon = the file's sum of
durations) with the same time limit and worker count, one after the other
in this process.  Reported per set: mean % deviation from the reference
(j30: proven optimum of ``j30opt.sm``; j60/j120: best-known upper bound of
``j*hrs.sm``), mean % deviation from the critical-path bound (the usual
PSPLIB metric), mean and max wall time per instance, and how often we are
better / equal / worse than CP-SAT.  ``multi`` runs seeded approval-shaped
multi-project instances (:mod:`approvals.rcpsp.generate`) and compares mean
makespans; ``multi-wc`` the same instances with the "finish projects soonest"
objective (sum of project completion times; the CPM column is then the
per-project critical-path bound of that sum).

Sampling (``--sample N``): instance ``k`` (0 <= k < N) of a set with ``G``
parameter groups of 10 is parameter group ``1 + k*G // N``, instance
``1 + k % 10``; so ``N = 10*G`` is the whole set and smaller ``N`` spreads
evenly over the groups (``N = G``: one per group, instance numbers cycling).

Contention (``--burn N``): N busy-looping processes run beside the solvers for
the whole run (started after the kernels are loaded, stopped at the end), to
measure how quality moves when the solvers get less CPU than ``--workers``.

Usage::

    python bench/rcpsp.py --sets j30,j60,j120,multi --sample 48 --time-limit 1 --workers 2
    python bench/rcpsp.py --sets j30,j60,j120 --sample 20 --time-limit 1 --workers 2 --burn 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from approvals.rcpsp import objective_value, solve, validate_schedule, warm_up  # noqa: E402
from approvals.rcpsp.bounds import critical_path_bound, weighted_completion_lower_bound  # noqa: E402
from approvals.rcpsp.cpsat import solve_cpsat  # noqa: E402
from approvals.rcpsp.generate import approval_portfolio  # noqa: E402
from approvals.rcpsp.psplib import load_sm  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "psplib"
GROUPS = {"j30": 48, "j60": 48, "j120": 60}


def references(data: Path, name: str) -> dict[tuple[int, int], int]:
    """``{(par, inst): makespan}`` from j30opt.sm or j*hrs.sm."""
    fn = data / ("j30opt.sm" if name == "j30" else f"{name}hrs.sm")
    out = {}
    for line in fn.read_text(encoding="latin-1").splitlines():
        t = line.split()
        if len(t) >= 3 and t[0].isdigit() and t[1].isdigit():
            out[(int(t[0]), int(t[1]))] = int(t[2])
    return out


def sample(name: str, n: int | None) -> list[tuple[int, int]]:
    """Stratified (par, inst) pairs, see the module docstring."""
    groups = GROUPS[name]
    total = groups * 10
    n = total if n is None or n >= total else n
    return [(1 + k * groups // n, 1 + k % 10) for k in range(n)]


def run_one(inst, args, ours: bool, objective: str = "makespan") -> tuple[float, float]:
    """Solve once; return (objective value, wall seconds); value -1 when no schedule was found."""
    t0 = time.perf_counter()
    if ours:
        sched = solve(
            inst, args.time_limit, seed=args.seed, workers=args.workers, objective=objective
        )
        starts = list(sched.starts)
    else:
        res = solve_cpsat(
            inst, args.time_limit, workers=args.workers, seed=args.seed, objective=objective
        )
        if res.starts is None:
            return -1, time.perf_counter() - t0
        starts = res.starts
    wall = time.perf_counter() - t0
    validate_schedule(inst, starts)
    return objective_value(inst, starts, objective), wall


def summarise(label: str, rows: list[dict], has_ref: bool) -> dict:
    n = len(rows)
    out = {"set": label, "n": n}
    for who in ("ours", "cpsat"):
        ok = [r for r in rows if r[who] >= 0]
        out[f"{who}_failed"] = n - len(ok)
        if has_ref:
            out[f"{who}_dev"] = statistics.mean(100 * (r[who] - r["ref"]) / r["ref"] for r in ok)
            out[f"{who}_opt"] = sum(r[who] <= r["ref"] for r in ok)
        out[f"{who}_cpm"] = statistics.mean(100 * (r[who] - r["cpm"]) / r["cpm"] for r in ok)
        out[f"{who}_mk"] = statistics.mean(r[who] for r in ok)
        out[f"{who}_wall"] = statistics.mean(r[f"{who}_wall"] for r in rows)
        out[f"{who}_wall_max"] = max(r[f"{who}_wall"] for r in rows)
    both = [r for r in rows if r["ours"] >= 0 and r["cpsat"] >= 0]
    out["better"] = sum(r["ours"] < r["cpsat"] for r in both)
    out["equal"] = sum(r["ours"] == r["cpsat"] for r in both)
    out["worse"] = sum(r["ours"] > r["cpsat"] for r in both)
    return out


FRESH_SNIPPET = """
import sys, time
t0 = time.perf_counter()
from approvals.rcpsp import solve, warm_up
from approvals.rcpsp.psplib import load_sm
warm = sys.argv[3] == "1"
if warm:
    warm_up(block=True)
t1 = time.perf_counter()
inst = load_sm(sys.argv[1])
t2 = time.perf_counter()
s = solve(inst, float(sys.argv[2]), workers=int(sys.argv[4]))
t3 = time.perf_counter()
print(s.makespan, t1 - t0, t3 - t2, s.method)
"""


def fresh_processes(args) -> None:
    """Wall time of whole fresh processes (import, optional warm-up, parse, solve)."""
    import subprocess

    files = [args.data / "j120" / f"j120{par}_{i}.sm" for par, i in sample("j120", args.fresh)]
    print(f"\nfresh processes, j120, time limit {args.time_limit:g} s, workers {args.workers}")
    print(
        "| warm_up() first | n | process wall mean/max s | import(+warm-up) mean s | solve() wall mean/max s "
        "| mean makespan | phase that found the best |"
    )
    print("|---|---|---|---|---|---|---|")
    for warm in ("0", "1"):
        walls, imps, solves, mks, how = [], [], [], [], []
        for f in files:
            t0 = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    FRESH_SNIPPET,
                    str(f),
                    str(args.time_limit),
                    warm,
                    str(args.workers),
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            walls.append(time.perf_counter() - t0)
            mk, imp, sol, method = out.stdout.split()
            mks.append(int(mk))
            imps.append(float(imp))
            solves.append(float(sol))
            how.append(method)
        print(
            f"| {'yes' if warm == '1' else 'no'} | {len(files)} | {statistics.mean(walls):.3f}/{max(walls):.3f} | "
            f"{statistics.mean(imps):.3f} | {statistics.mean(solves):.3f}/{max(solves):.3f} | "
            f"{statistics.mean(mks):.2f} | {', '.join(sorted(set(how)))} |"
        )


def start_burners(n: int) -> list[subprocess.Popen]:
    """N processes that spin on a core each until stopped (a busy neighbour)."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def stop_burners(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(summaries: list[dict], args) -> None:
    print(
        f"\ntime limit {args.time_limit:g} s, workers {args.workers}, seed {args.seed}, "
        f"burners {args.burn}, load average (1/5/15 min) before: {args.load_before}, "
        f"after: {loadavg()}"
    )
    head = (
        "| set | n | ours dev % | CP-SAT dev % | ours = ref | CP-SAT = ref | ours CPM-dev % | CP-SAT CPM-dev % "
        "| ours mean makespan | CP-SAT mean makespan | ours wall mean/max s | CP-SAT wall mean/max s "
        "| ours better/equal/worse |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for s in summaries:
        has = "ours_dev" in s

        def f(key: str, fmt: str = "{:.3f}", s: dict = s, has: bool = has) -> str:
            return fmt.format(s[key]) if has or not key.endswith(("dev", "opt")) else "-"

        print(
            f"| {s['set']} | {s['n']} | {f('ours_dev')} | {f('cpsat_dev')} | {f('ours_opt', '{}')} | "
            f"{f('cpsat_opt', '{}')} | {s['ours_cpm']:.2f} | {s['cpsat_cpm']:.2f} | {s['ours_mk']:.2f} | "
            f"{s['cpsat_mk']:.2f} | {s['ours_wall']:.3f}/{s['ours_wall_max']:.3f} | "
            f"{s['cpsat_wall']:.3f}/{s['cpsat_wall_max']:.3f} | {s['better']}/{s['equal']}/{s['worse']} |"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sets",
        default="j30,j60,j120,multi,multi-wc",
        help="comma list of j30, j60, j120, multi, multi-wc",
    )
    p.add_argument(
        "--sample",
        type=int,
        default=None,
        help="instances per PSPLIB set, stratified over the parameter groups (default: all)",
    )
    p.add_argument(
        "--multi", type=int, default=30, help="number of generated multi-project instances"
    )
    p.add_argument("--time-limit", type=float, default=1.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=None, help="write one JSON line per instance here")
    p.add_argument(
        "--fresh",
        type=int,
        default=0,
        help="also time N fresh processes on j120 (with and without warm_up())",
    )
    p.add_argument(
        "--burn",
        type=int,
        default=0,
        help="run N busy processes beside the solvers for the whole run (CPU contention)",
    )
    args = p.parse_args(argv)
    args.load_before = loadavg()
    if args.fresh:
        fresh_processes(args)
        if args.sets == "":
            return 0
    t_warm = time.perf_counter()
    ready = warm_up(block=True, timeout=600)
    print(
        f"numba kernels ready={ready} after {time.perf_counter() - t_warm:.2f} s (not counted below)"
    )
    out = args.out.open("w") if args.out else None
    burners = start_burners(args.burn)
    try:
        summaries = run_sets(args, out)
    finally:
        stop_burners(burners)
    print_table(summaries, args)
    return 0


def run_sets(args, out) -> list[dict]:
    summaries = []
    for name in filter(None, args.sets.split(",")):
        rows = []
        objective = "weighted_completion" if name == "multi-wc" else "makespan"
        if name in ("multi", "multi-wc"):
            items = []
            for k in range(args.multi):
                items.append(
                    (
                        f"approvals-{k}",
                        approval_portfolio(
                            seed=k, n_tasks=60 + (k * 7) % 61, n_departments=4 + k % 5
                        ),
                        None,
                    )
                )
        else:
            refs = references(args.data, name)
            items = [
                (
                    f"{name}{par}_{i}",
                    load_sm(args.data / name / f"{name}{par}_{i}.sm"),
                    refs[(par, i)],
                )
                for par, i in sample(name, args.sample)
            ]
        for label, inst, ref in items:
            ours, ours_wall = run_one(inst, args, ours=True, objective=objective)
            cp, cp_wall = run_one(inst, args, ours=False, objective=objective)
            row = {
                "instance": label,
                "ref": ref,
                "cpm": critical_path_bound(inst)
                if objective == "makespan"
                else weighted_completion_lower_bound(inst),
                "ours": ours,
                "ours_wall": ours_wall,
                "cpsat": cp,
                "cpsat_wall": cp_wall,
            }
            rows.append(row)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()
            print(
                f"{label:>16} ref={ref} ours={ours} ({ours_wall:.3f}s) cpsat={cp} ({cp_wall:.3f}s)",
                flush=True,
            )
        summaries.append(summarise(name, rows, not name.startswith("multi")))
    return summaries


if __name__ == "__main__":
    raise SystemExit(main())
