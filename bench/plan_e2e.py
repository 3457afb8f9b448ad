"""`onetrip plan --format json` end to end, beside a bare script doing the least a plan needs.

Writes a random catalogue of N items (the generator of ``bench/plan_scale.py``: about 3
prerequisites each, 1–10 working days) and a project file to a temporary directory, then, round
by round, runs as separate processes (process start to exit, wall clock):

- **onetrip**: ``python -m api.cli plan --project P.json --catalog C.json --format json``
  (stdout to a file; no ``DATABASE_URL`` and no ``onetrip.sqlite3`` in the working directory,
  so the built-in holiday calendar is used; bytecode cached, as for an installed package);
- **bare**: this file with ``--bare C.json``: ``json.load`` with the stdlib, an ``nx.DiGraph``
  of the items and prerequisites, ``list(nx.topological_sort(G))`` and one longest-path pass
  over that order (earliest finish of every item; prints the makespan).

One untimed warm-up run each, then the two alternate within each round so that both see the
same load.  Prints every round, the
medians and their ratio, and the load average before and after; checks that both found the
same makespan.

    python bench/plan_e2e.py                    # 100,000 items, 5 rounds
    python bench/plan_e2e.py --items 10000 --rounds 3
    python bench/plan_e2e.py --against /work/main   # main's onetrip in the same rounds (CPU ratio)

Target (issue 16): onetrip < 3 s and within 5× the bare script at 100,000 items.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median(values) -> float:
    """The median (not ``statistics.median``: run as ``python bench/….py``, the bench's own
    ``statistics.py`` comes first on the path and hides the standard library's)."""
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def bare(path: str) -> None:
    import networkx as nx

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    days = {}
    g = nx.DiGraph()
    for item in doc["items"]:
        days[item["code"]] = item["days"]
        g.add_node(item["code"])
        g.add_edges_from((r, item["code"]) for r in item.get("requires", ()))
    finish: dict[str, int] = {}
    for code in nx.topological_sort(g):
        start = max((finish[p] for p in g.pred[code]), default=0)
        finish[code] = start + days[code]
    print(max(finish.values(), default=0))


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], cwd: Path, out: Path, tree: Path = ROOT) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one process, start to exit.

    Bytecode is cached (in the temporary directory, not in the tree) as it is for an installed
    package: ``PYTHONDONTWRITEBYTECODE`` would recompile every module on every run."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")
    }
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
    with out.open("wb") as f:
        cpu = _children_cpu()
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, stdout=f, check=True)
        return time.perf_counter() - t0, _children_cpu() - cpu


def _row(label: str, wall: float, cpu: float, bare_wall: float, bare_cpu: float) -> str:
    return (
        f"{label:>6} {wall:>10.2f} {bare_wall:>8.2f} {wall / bare_wall:>6.2f}"
        f" {cpu:>14.2f} {bare_cpu:>11.2f} {cpu / bare_cpu:>6.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="checkout whose onetrip to run (default: this one), e.g. main for a before figure",
    )
    ap.add_argument(
        "--against",
        type=Path,
        metavar="TREE",
        help="another checkout run in the same rounds, alternating (e.g. /work/main): both "
        "onetrips and the bare script see the same load; prints its figures and the ratios",
    )
    ap.add_argument("--bare", metavar="C.json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare(args.bare)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from plan_scale import random_catalogue_doc

    with tempfile.TemporaryDirectory(prefix="plan_e2e-") as tmp:
        d = Path(tmp)
        catalogue, project = d / "C.json", d / "P.json"
        catalogue.write_text(
            json.dumps(random_catalogue_doc(args.items), ensure_ascii=False), "utf-8"
        )
        project.write_text(json.dumps({"name": "bench", "start_date": "2026-01-05"}), "utf-8")
        onetrip = [
            sys.executable,
            "-m",
            "api.cli",
            "plan",
            "--project",
            str(project),
            "--catalog",
            str(catalogue),
            "--format",
            "json",
        ]
        bare_cmd = [sys.executable, str(Path(__file__).resolve()), "--bare", str(catalogue)]
        size = catalogue.stat().st_size / 1e6
        print(f"onetrip from {args.tree.resolve()}")
        print(f"{args.items:,} items, {size:.1f} MB catalogue; load average {load_average()}")
        print(
            f"{'round':>6} {'onetrip s':>10} {'bare s':>8} {'ratio':>6}"
            f" {'onetrip cpu s':>14} {'bare cpu s':>11} {'ratio':>6}"
        )
        run(onetrip, d, d / "plan.json", args.tree)  # warm-up (bytecode), not timed
        run(bare_cmd, d, d / "bare.txt")
        if args.against:
            run(onetrip, d, d / "against.json", args.against)
        rows = []
        other = []
        for r in range(args.rounds):
            ours = run(onetrip, d, d / "plan.json", args.tree)
            theirs = run(bare_cmd, d, d / "bare.txt")
            rows.append((*ours, *theirs))
            print(_row(str(r + 1), *rows[-1]))
            if args.against:
                other.append(run(onetrip, d, d / "against.json", args.against))
                print(_row(f"{r + 1}'", *other[-1], *theirs))
        print(_row("median", *(median(col) for col in zip(*rows, strict=True))))
        if args.against:
            print(f"' = onetrip from {args.against.resolve()}, same rounds; its medians:")
            bare_wall, bare_cpu = median([r[2] for r in rows]), median([r[3] for r in rows])
            wall, cpu = median([o[0] for o in other]), median([o[1] for o in other])
            print(_row("median'", wall, cpu, bare_wall, bare_cpu))
            ours_wall, ours_cpu = median([r[0] for r in rows]), median([r[1] for r in rows])
            print(
                f"this tree against {args.against.name}: wall {ours_wall / wall:.2f}×, "
                f"CPU {ours_cpu / cpu:.2f}× (medians)"
            )
            same = (d / "plan.json").read_bytes() == (d / "against.json").read_bytes()
            print(f"outputs byte for byte identical: {'yes' if same else 'NO'}")
        print(f"load average after: {load_average()}")
        makespan = json.loads((d / "plan.json").read_text("utf-8"))["makespan_workdays"]
        bare_makespan = int((d / "bare.txt").read_text().strip())
        if makespan != bare_makespan:
            sys.exit(f"makespans differ: onetrip {makespan}, bare {bare_makespan}")
        print(f"makespan {makespan} working days (both)")


if __name__ == "__main__":
    main()
