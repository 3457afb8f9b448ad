"""What the pool's liveness check costs a request: ping on every checkout, or only when idle.

Issue 16, target 2.  ``pool_pre_ping`` runs a ``SELECT 1`` (and toggles autocommit twice) on
every checkout; ``storage.engine`` pings only a connection idle a second or more.  This checks a
connection out and runs one statement N times each way, in rounds, and prints the CPU and the
wall time per checkout.

    python bench/pool_ping.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from storage.engine import make_engine


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    for _ in range(args.rounds):
        for name, kwargs in (
            ("pre-ping every checkout", {"pool_pre_ping": True}),
            ("ping when idle >= 1 s", {}),
        ):
            engine = make_engine(args.db, **kwargs)
            for _ in range(50):
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            c0, w0 = cpu(), time.perf_counter()
            for _ in range(args.n):
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            c1, w1 = cpu(), time.perf_counter()
            per = 1e6 / args.n
            print(
                f"{name:24} CPU {(c1 - c0) * per:5.0f} µs   wall {(w1 - w0) * per:5.0f} µs a checkout + statement"
            )
            engine.dispose()


if __name__ == "__main__":
    main()
