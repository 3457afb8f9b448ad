"""Commitments benchmark (issue 5): evaluation of indicator checks, ledger verification, and the
commitment letter.

1. **Evaluation** of 1,000,000 indicator checks (200,000 commitments × 5 indicators: investment
   intensity, plot ratio, tax per mu, energy value added, R&D ratio) from raw figures — per-mu
   value = numerator / denominator × scale, then the verdict with tolerance
   (met / partiallyMet / notMet) and the count per indicator and verdict:
   - in process: ``commitments.evaluation.evaluate_arrays`` (numpy), the same function the
     tests prove equal to the scalar ``evaluate_value`` of the service path;
   - in PostgreSQL: the same rule as one SQL statement over a table of the 1,000,000 rows;
   - beside a plain SQL aggregate over the same rows (``count`` and ``avg`` of the per-mu
     value by indicator), the floor any SQL pass over them costs.
   Each is run ``--repeat`` times, interleaved; the median is reported; the three answers'
   counts are checked equal.
2. **Ledger verification** of 1,000,000 entries on SQLite (the embedded default):
   50,000 published commitments, each with 20 entries (commitment with the enterprise's Ed25519
   signature, acceptance with the platform's, checkpoints, inspections, verdicts, a consequence:
   100,000 signatures), tree heads signed every 100,000 entries, the commitments' documents and
   terms in their tables.  Timed: ``commitments.services.ledger_store.verify_ledger`` — what ``onetrip ledger
   verify`` runs (read every row, check columns against bytes, every leaf hash and link, every
   signature, every signed tree head, the working rows against the ledger).
3. **The commitment letter**: ``commitments.services.documents.letter_pdf`` for one of those commitments
   (first render, with the font's registration, then the median of 20).

    python bench/monitoring.py                      # all three
    python bench/monitoring.py --commitments 20000 --ledger 100000   # smaller

Targets: evaluation < 5 s and within 2× the plain SQL; ledger verify < 30 s; a letter < 200 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from commitments import evaluation as ev  # noqa: E402

PG_URL = os.environ.get("ONETRIP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# key, (numerator, denominator, scale), lower, upper
INDICATORS = [
    ("investment_intensity", 1.0, 350.0, None),
    ("plot_ratio", 1.0, 1.5, 3.0),
    ("tax_per_mu", 1.0, 35.0, None),
    ("energy_value_added", 1.0, 2.5, None),
    ("rd_ratio", 100.0, 3.0, None),
]


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def make_checks(commitments: int, seed: int = 6962) -> dict[str, np.ndarray]:
    """Raw figures for ``commitments × 5`` checks, about 70 % met, 10 % partially, 20 % not."""
    rng = np.random.default_rng(seed)
    k = len(INDICATORS)
    n = commitments * k
    key = np.tile(np.arange(k, dtype=np.int16), commitments)
    scale = np.array([i[1] for i in INDICATORS])[key]
    lower = np.array([np.nan if i[2] is None else i[2] for i in INDICATORS])[key]
    upper = np.array([np.nan if i[3] is None else i[3] for i in INDICATORS])[key]
    target = np.where(np.isnan(lower), upper, lower)
    ratio = rng.choice([1.2, 0.95, 0.7], size=n, p=[0.7, 0.1, 0.2]) * rng.uniform(0.98, 1.3, n)
    value = np.where(
        np.isnan(upper) | (ratio < 1), target * ratio, np.minimum(target * ratio, upper)
    )
    den = rng.uniform(20, 200, n)  # area in mu, revenue …
    num = value * den / scale
    tol = np.full(n, 0.1)
    return {
        "key": key,
        "num": num,
        "den": den,
        "scale": scale,
        "lower": lower,
        "upper": upper,
        "tol": tol,
    }


def evaluate_in_process(c: dict[str, np.ndarray]) -> np.ndarray:
    values = c["num"] / c["den"] * c["scale"]
    codes, _ = ev.evaluate_arrays(values, c["lower"], c["upper"], c["tol"])
    return np.bincount(
        c["key"].astype(np.int64) * 3 + codes, minlength=3 * len(INDICATORS)
    ).reshape(-1, 3)


PLAIN_SQL = "SELECT key, count(*), avg(num / den * scale) FROM bench_checks GROUP BY key"
EVAL_SQL = """
SELECT key, CASE WHEN s = 0 THEN 0 WHEN s <= tol THEN 1 ELSE 2 END AS status, count(*)
FROM (
  SELECT key, tol,
         CASE WHEN v < lower THEN (lower - v) / lower
              WHEN v > upper THEN (v - upper) / upper
              ELSE 0 END AS s
  FROM (SELECT key, tol, lower, upper, num / den * scale AS v FROM bench_checks) a
) b
GROUP BY 1, 2
"""


def bench_evaluation(commitments: int, repeat: int) -> dict[str, float]:
    import psycopg

    checks = make_checks(commitments)
    n = len(checks["key"])
    print(f"evaluation: {n:,} checks of {commitments:,} commitments (load {load()})")
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_checks")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_checks (key smallint, num float8, den float8, scale float8, "
            "lower float8, upper float8, tol float8)"
        )
        t = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bench_checks (key, num, den, scale, lower, upper, tol) FROM STDIN"
            ) as copy,
        ):
            cols = [checks[c] for c in ("key", "num", "den", "scale", "lower", "upper", "tol")]
            buf = io.StringIO()
            for row in zip(*(c.tolist() for c in cols), strict=True):
                buf.write(
                    "\t".join("\\N" if (isinstance(x, float) and x != x) else repr(x) for x in row)
                )
                buf.write("\n")
                if buf.tell() > 1 << 22:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        conn.execute("VACUUM ANALYZE bench_checks")
        print(f"  loaded into PostgreSQL in {time.perf_counter() - t:.1f} s (not timed below)")
        times: dict[str, list[float]] = {
            "in process (numpy)": [],
            "PostgreSQL evaluation": [],
            "plain SQL aggregate": [],
        }
        answers = {}
        for _ in range(repeat):
            t = time.perf_counter()
            answers["numpy"] = evaluate_in_process(checks)
            times["in process (numpy)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            rows = conn.execute(EVAL_SQL).fetchall()
            times["PostgreSQL evaluation"].append(time.perf_counter() - t)
            t = time.perf_counter()
            plain = conn.execute(PLAIN_SQL).fetchall()
            times["plain SQL aggregate"].append(time.perf_counter() - t)
        sql = np.zeros((len(INDICATORS), 3), dtype=np.int64)
        for key, status, count in rows:
            sql[key, status] = count
        assert (sql == answers["numpy"]).all(), (sql, answers["numpy"])
        assert sum(r[1] for r in plain) == n
        conn.execute("DROP TABLE bench_checks")
    med = {k: statistics.median(v) for k, v in times.items()}
    plain_s = med["plain SQL aggregate"]
    for k, v in med.items():
        print(f"  {k:24s} {v:7.3f} s   ({v / plain_s:.2f}× the plain SQL aggregate)")
    met = answers["numpy"].sum(axis=0)
    print(
        f"  verdicts: met {met[0]:,}, partially met {met[1]:,}, not met {met[2]:,} (equal in numpy and SQL)"
    )
    return med


def build_ledger(path: Path, commitments: int, per: int = 20) -> None:
    """Write ``commitments × per`` ledger entries, the documents and the terms (not timed)."""
    from sqlalchemy import insert

    from commitments import signing
    from commitments.canonical import canonical_bytes, sha256_hex
    from commitments.ledger import TreeHead, make_entry
    from commitments.merkle import MerkleFrontier, leaf_hash
    from commitments.model import DEFAULT_LADDER
    from commitments.orm import (
        CommitmentRow,
        LedgerEntryRow,
        SigningKeyRow,
        TermRow,
        TreeHeadRow,
    )
    from commitments.services.keys import platform_key
    from commitments.services.payloads import acceptance_statement
    from migrations.runner import upgrade
    from storage.engine import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    t0 = time.perf_counter()
    with make_session_factory(engine)() as s:
        from api.seed import seed_demo_accounts

        accounts = seed_demo_accounts(s)
        enterprise = accounts.enterprises[0]
        from approvals.orm import ProjectRow

        platform = platform_key(s)
        ekey = signing.generate()
        epub = signing.public_of(ekey)
        s.add(
            SigningKeyRow(
                fingerprint=epub.fingerprint,
                owner="enterprise",
                enterprise_id=enterprise.id,
                public_key=epub.b64,
                label="bench",
            )
        )
        s.commit()
        from approvals.service import ensure_default_catalogue

        catalog_id = ensure_default_catalogue(s).id
        s.commit()
        conn = s.connection()
        prev = None
        frontier = MerkleFrontier()
        rows: list[dict] = []
        heads = []
        kinds = (
            ["checkpoint", "checkpoint", "inspection"]
            + ["verdict"] * 5
            + ["inspection"]
            + ["verdict"] * 4
        )
        kinds += ["consequence", "checkpoint", "inspection", "verdict", "verdict"]
        kinds = kinds[: per - 2]
        from datetime import date

        for i in range(commitments):
            number = f"CN-2026-{i + 1:06d}"
            indicators = [
                {
                    "key": k,
                    "name": k,
                    "name_en": k,
                    "unit": "",
                    "lower": lo,
                    "upper": hi,
                    "milestone": "acceptance",
                    "tolerance": 0.1,
                    "planned": None,
                }
                for k, _, lo, hi in INDICATORS
            ]
            doc = {
                "type": "onetrip.commitment",
                "v": 1,
                "number": number,
                "issued_on": "2026-03-02",
                "project": {"id": i + 1, "code": f"P{i}", "name": "基准项目"},
                "enterprise": {
                    "id": enterprise.id,
                    "name": enterprise.name,
                    "credit_code": enterprise.credit_code,
                },
                "plot": {
                    "code": f"B{i}",
                    "name": "基准地块",
                    "zone": "CD-A",
                    "zone_name": "",
                    "land_use": "",
                    "area_mu": 80.5,
                    "area_m2": 53666.9,
                },
                "land_price_wan": 2415.0,
                "indicators": indicators,
                "checkpoints": {
                    "acceptance": {"rule": "…", "workdays_after_completion": 30},
                    "production": {
                        "rule": "…",
                        "years_after_production_start": 3,
                        "production_start": None,
                    },
                    "grace_workdays": 20,
                    "completion_basis": "forecast",
                },
                "consequences": [r.to_dict() for r in DEFAULT_LADDER],
                "replaces": [],
                "statement": "承诺",
            }
            body = canonical_bytes(doc)
            digest = sha256_hex(body)
            esig = signing.sign(ekey, body)
            project = ProjectRow(
                code=f"BENCH-{i:07d}",
                name="基准项目",
                enterprise_id=enterprise.id,
                catalog_id=catalog_id,
                plot_code=f"B{i}",
                attributes={},
                regional_assessments=[],
                form={},
                filed_on=date(2026, 3, 2),
                baseline={},
                baseline_finish=date(2026, 9, 1),
                baseline_makespan=100,
                serial_workdays=200,
            )
            s.add(project)
            s.flush()
            c = CommitmentRow(
                number=number,
                project_id=project.id,
                enterprise_id=enterprise.id,
                plot_code=f"B{i}",
                zone_code="CD-A",
                status="published",
                document=body.decode(),
                document_sha256=digest,
                enterprise_key=epub.fingerprint,
                enterprise_signature=esig,
                admin_key=platform.fingerprint,
                published_on=date(2026, 3, 2),
            )
            c.admin_signature = signing.sign(
                platform.private, canonical_bytes(acceptance_statement(c))
            )
            payloads = [
                (
                    "commitment",
                    {
                        "number": number,
                        "document_sha256": digest,
                        "signature": {"alg": "Ed25519", "key": epub.fingerprint, "value": esig},
                    },
                ),
                (
                    "acceptance",
                    {
                        "statement": acceptance_statement(c),
                        "signature": {
                            "alg": "Ed25519",
                            "key": platform.fingerprint,
                            "value": c.admin_signature,
                        },
                    },
                ),
            ]
            payloads += [
                (
                    k,
                    {
                        "number": number,
                        "i": j,
                        "key": INDICATORS[j % 5][0],
                        "status": "met",
                        "value": 400 + j,
                        "shortfall": 0,
                        "decided_on": "2027-01-04",
                    },
                )
                for j, k in enumerate(kinds)
            ]
            for kind, payload in payloads:
                prev = make_entry(prev, kind, number, "2026-11-21T00:00:00.000000Z", payload)
                frontier.append(bytes.fromhex(prev.leaf_hash))
                rows.append(
                    {
                        "seq": prev.seq,
                        "kind": kind,
                        "subject": number,
                        "at": prev.at,
                        "prev_hash": prev.prev_hash,
                        "leaf_hash": prev.leaf_hash,
                        "body": prev.body.decode(),
                    }
                )
                if prev.seq % 100_000 == 0:
                    heads.append((prev.seq, frontier.root().hex()))
            c.ledger_seq = prev.seq - per + 1
            c.acceptance_seq = c.ledger_seq + 1
            s.add(c)
            s.flush()
            s.execute(
                insert(TermRow),
                [
                    {
                        "commitment_id": c.id,
                        **{k: v for k, v in t.items() if k != "milestone"},
                        "milestone": "acceptance",
                    }
                    for t in indicators
                ],
            )
            if len(rows) >= 20_000:
                conn.execute(insert(LedgerEntryRow), rows)
                rows = []
                s.expunge_all()
        if rows:
            conn.execute(insert(LedgerEntryRow), rows)
        if not heads or heads[-1][0] != prev.seq:
            heads.append((prev.seq, frontier.root().hex()))
        for size, root in heads:
            head = TreeHead(size, root, "2026-11-21T00:00:00Z", platform.fingerprint)
            s.add(
                TreeHeadRow(
                    tree_size=size,
                    root_hash=root,
                    timestamp=head.timestamp,
                    key=head.key,
                    signature=signing.sign(platform.private, head.to_bytes()),
                )
            )
        s.commit()
        _ = leaf_hash
    engine.dispose()
    print(f"  built {commitments * per:,} entries in {time.perf_counter() - t0:.0f} s (not timed)")


def bench_ledger(entries: int, keep: Path | None) -> tuple[float, str]:
    from commitments.services.ledger_store import verify_ledger
    from storage.engine import make_engine, make_session_factory

    commitments = max(1, entries // 20)
    tmp = Path(tempfile.mkdtemp(prefix="onetrip-bench-"))
    path = keep or tmp / "ledger.sqlite3"
    print(f"ledger: {commitments * 20:,} entries, {commitments * 2:,} signatures (load {load()})")
    if not path.exists():
        build_ledger(path, commitments)
    import resource

    engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as s:
        cpu0 = time.process_time()
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        check = verify_ledger(s)
        elapsed = time.perf_counter() - t
        main_cpu = time.process_time() - cpu0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    engine.dispose()
    print(f"  verify_ledger: {elapsed:.1f} s wall — {check.text('en')}")
    print(
        f"  CPU: {main_cpu:.1f} s in this process, {workers_cpu:.1f} s in the signature workers "
        f"(on two idle cores the wall time would be about max({main_cpu:.0f}, {(main_cpu + workers_cpu) / 2:.0f}) s)"
    )
    return elapsed, str(path)


def bench_letter(db: str) -> tuple[float, float]:
    from sqlalchemy import select

    from commitments.orm import CommitmentRow
    from commitments.services.documents import letter_pdf
    from storage.engine import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{db}")
    with make_session_factory(engine)() as s:
        c = s.scalar(select(CommitmentRow).limit(1))
        t = time.perf_counter()
        letter_pdf(s, c)
        first = time.perf_counter() - t
        times = []
        for _ in range(20):
            t = time.perf_counter()
            pdf = letter_pdf(s, c)
            times.append(time.perf_counter() - t)
    engine.dispose()
    med = statistics.median(times)
    print(
        f"letter: first {first * 1000:.0f} ms (font registration included), median of 20 {med * 1000:.0f} ms, {len(pdf):,} bytes (load {load()})"
    )
    return first, med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--commitments",
        type=int,
        default=200_000,
        help="commitments for the evaluation (×5 checks)",
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ledger", type=int, default=1_000_000, help="ledger entries")
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the ledger database at this path")
    ap.add_argument("--skip-evaluation", action="store_true")
    args = ap.parse_args()
    print(f"onetrip commitments benchmark — load average {load()}, {os.cpu_count()} cores")
    if not args.skip_evaluation:
        bench_evaluation(args.commitments, args.repeat)
    _, db = bench_ledger(args.ledger, args.keep)
    bench_letter(db)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
