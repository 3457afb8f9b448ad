"""Ledger benchmark (issue 16, target 4): verifying a ledger of millions of entries with flat
memory, and inclusion proofs from stored subtrees.

Input (not timed): ``--n`` entries written straight into ``ledger_entries`` — a realistic mix of
checkpoint, inspection, verdict and consequence entries (payloads of 200–400 bytes, 50,000
subjects) with an ``acceptance`` entry every ``--acceptance-every`` entries carrying an Ed25519
signature of its statement by the platform key (checked by verify like any party signature), a
signed tree head every ``--head-every`` entries and at the end, all made with
``commitments.ledger.make_entry`` and the real canonical bytes, bulk inserted (executemany on
SQLite, COPY on PostgreSQL).  Then ``ledger_store.store_nodes`` fills in the stored subtrees
(the catch-up that ``seal`` does on a ledger that has none) — timed and reported.

Measured, each in a fresh child process (so that its peak RSS is its own), per size:

- **verify**: ``ledger_store.verify_ledger`` (what ``onetrip ledger verify`` runs: every entry's
  columns against its bytes, leaf hash, chain link, every signature, every tree head's root
  and signature, and the working rows), wall time and peak RSS (``ru_maxrss``), beside a
  *bare scan* peer in another child: the same rows read with the same keyset batches and one
  SHA-256 per body, nothing checked;
- **proof**: ``ledger_store.proof_for`` (the bundle a regulator downloads: the entry, its audit
  path from stored subtrees, checked against the signed root before it is served) for
  ``--proofs`` random entries, p50 / p95 / max, beside — up to ``--peer-max`` entries — the
  previous way (every leaf hash read, the path hashed from all of them) for a few entries;
- **seal**: one entry appended and a tree head sealed over it (rolled back).

    python bench/ledger.py --sizes 1000000,10000000 --backend sqlite
    python bench/ledger.py --sizes 1000000 --backend postgresql

Targets: verify of 10,000,000 entries < 5 min with constant memory; an inclusion proof < 10 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from commitments import signing  # noqa: E402
from commitments.canonical import canonical_bytes  # noqa: E402
from commitments.ledger import ZERO_HASH, TreeHead, make_entry  # noqa: E402
from commitments.merkle import MerkleFrontier, inclusion_proof  # noqa: E402
from commitments.services import ledger_store  # noqa: E402
from commitments.services.keys import platform_key  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.engine import ensure_database, make_engine, make_session_factory  # noqa: E402

PG_BASE = os.environ.get("ONETRIP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
OUT = Path(os.environ.get("ONETRIP_BENCH_DIR", "/tmp/onetrip-bench-ledger"))
encode = msgspec.json.Encoder(order="sorted").encode


class Prev(NamedTuple):
    seq: int
    leaf_hash: str
    at: str


KEYS = ("fixed_asset_investment", "tax_per_mu", "floor_area_ratio", "energy_per_output", "output")


def load() -> str:
    a, b, c = os.getloadavg()
    return f"{a:.2f}/{b:.2f}/{c:.2f}"


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ``ru_maxrss`` it is not inherited from
    the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def url_for(backend: str, n: int) -> str:
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT}/ledger_{n}.sqlite3"
    return f"{PG_BASE}/bench_ledger_{n}"


# --- input ---------------------------------------------------------------------------------------


def num(x: float, digits: int = 2) -> float | int:
    """A measured figure as RFC 8785 writes it (an integral float without its ``.0``)."""
    x = round(x, digits)
    return int(x) if x.is_integer() else x


def synthetic(seq: int, rng: random.Random, acceptance_every: int) -> tuple[str, str, dict]:
    number = f"CN-2026-{rng.randrange(50_000):06d}"
    if seq % acceptance_every == 0:
        return "acceptance", number, {"statement": {"number": number}}
    kind = rng.choice(("checkpoint", "inspection", "verdict", "verdict", "consequence"))
    if kind == "checkpoint":
        payload = {
            "number": number,
            "checkpoint": seq,
            "milestone": rng.choice(("acceptance", "production")),
            "due_on": f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "terms": rng.sample(KEYS, 3),
        }
    elif kind == "inspection":
        payload = {
            "number": number,
            "inspection": seq,
            "checkpoint": seq - rng.randrange(1, 1000),
            "measured": {k: num(rng.uniform(1, 500)) for k in rng.sample(KEYS, 4)},
            "evidence": [{"name": "现场核查报告.pdf", "sha256": f"{rng.getrandbits(256):064x}"}],
            "inspector": f"regulator-{rng.randrange(300)}",
        }
    elif kind == "verdict":
        key = rng.choice(KEYS)
        payload = {
            "number": number,
            "verdict": seq,
            "key": key,
            "status": rng.choice(("met", "met", "met", "breached")),
            "measured": num(rng.uniform(1, 500)),
            "lower": rng.choice((30, 250, 1.2, None)),
            "upper": None,
            "decided_by": f"regulator-{rng.randrange(300)}",
        }
    else:
        payload = {
            "number": number,
            "consequence": seq,
            "measure": rng.choice(("限期整改", "违约金", "信用惩戒")),
            "amount": num(rng.uniform(1, 100), 1),
            "deadline": f"2027-{rng.randrange(1, 13):02d}-28",
        }
    return kind, number, payload


def generate(url: str, n: int, head_every: int, acceptance_every: int) -> None:
    ensure_database(url)
    engine = make_engine(url)
    reset_database(engine)
    upgrade(engine)
    factory = make_session_factory(engine, write=True)
    with factory() as session:
        key = platform_key(session)
        session.commit()
    rng = random.Random(16)
    t0 = time.perf_counter()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    frontier = MerkleFrontier()
    previous: Any = None
    batch: list[tuple] = []
    heads: list[tuple] = []
    raw = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA journal_mode = OFF")
        raw.execute("PRAGMA cache_size = -262144")
    for index in ("ix_ledger_entries_kind", "ix_ledger_entries_subject"):  # rebuilt at the end
        raw.cursor().execute(f"DROP INDEX {index}")
    raw.commit()

    def head_at(size: int) -> None:
        h = TreeHead(size, frontier.root().hex(), previous.at, key.fingerprint)
        heads.append(
            (size, h.root_hash, h.timestamp, h.key, signing.sign(key.private, h.to_bytes()))
        )

    def flush() -> None:
        cols = "seq, kind, subject, at, prev_hash, leaf_hash, body"
        if sqlite:
            raw.executemany(f"INSERT INTO ledger_entries ({cols}) VALUES (?,?,?,?,?,?,?)", batch)
            raw.executemany(
                "INSERT INTO ledger_tree_heads (tree_size, root_hash, timestamp, key, signature)"
                " VALUES (?,?,?,?,?)",
                heads,
            )
        else:
            with raw.driver_connection.cursor() as cur:
                with cur.copy(f"COPY ledger_entries ({cols}) FROM STDIN") as copy:
                    for r in batch:
                        copy.write_row(r)
                with cur.copy(
                    "COPY ledger_tree_heads (tree_size, root_hash, timestamp, key, signature)"
                    " FROM STDIN"
                ) as copy:
                    for r in heads:
                        copy.write_row(r)
        raw.commit()
        batch.clear()
        heads.clear()

    # a pool of payloads (each written once with the real canonical encoder, acceptance
    # statements signed once): generating 10,000,000 fresh ones would take longer than the
    # measurements on this shared machine; verify does the same work either way
    pool = []
    for k in range(1, 4097):
        kind, subject, payload = synthetic(k, rng, 10**9)
        pool.append((kind, subject, encode(payload).decode(), payload))
    accept = []
    for k in range(512):
        subject = f"CN-2026-{k:06d}"
        statement = {
            "number": subject,
            "document_sha256": hashlib.sha256(subject.encode()).hexdigest(),
            "accepted_by": "管委会",
        }
        payload = {
            "statement": statement,
            "signature": {
                "key": key.fingerprint,
                "value": signing.sign(key.private, canonical_bytes(statement)),
            },
        }
        accept.append(("acceptance", subject, encode(payload).decode(), payload))
    pick = rng.randrange
    for seq in range(1, n + 1):
        if seq % acceptance_every == 0:
            kind, subject, text, payload = accept[pick(512)]
        else:
            kind, subject, text, payload = pool[pick(4096)]
        at = (start + timedelta(seconds=seq * 3)).isoformat().replace("+00:00", "Z")
        prev_hash = previous.leaf_hash if previous else ZERO_HASH
        # the canonical bytes written directly (sorted keys; msgspec writes these values as
        # RFC 8785 does — checked against make_entry for the first entries)
        body = (
            f'{{"at":"{at}","kind":"{kind}","payload":{text},'
            f'"prev":"{prev_hash}","seq":{seq},"subject":"{subject}",'
            f'"type":"onetrip.ledger.entry","v":1}}'
        )
        leaf = hashlib.sha256(b"\x00" + body.encode()).digest()
        if seq <= 5000:
            check = make_entry(previous, kind, subject, at, payload)
            assert check.body == body.encode() and check.leaf_hash == leaf.hex(), seq
        previous = Prev(seq, leaf.hex(), at)
        frontier.append(leaf)
        batch.append((seq, kind, subject, at, prev_hash, previous.leaf_hash, body))
        if seq % head_every == 0 or seq == n:
            head_at(seq)
        if len(batch) >= 200_000:
            flush()
            print(f"  {seq:,} entries, {time.perf_counter() - t0:.0f} s", flush=True)
    flush()
    t = time.perf_counter()
    raw.cursor().execute("CREATE INDEX ix_ledger_entries_kind ON ledger_entries (kind)")
    raw.cursor().execute("CREATE INDEX ix_ledger_entries_subject ON ledger_entries (subject)")
    raw.commit()
    print(f"indexes rebuilt in {time.perf_counter() - t:.0f} s")
    raw.close()
    print(f"generated {n:,} entries in {time.perf_counter() - t0:.0f} s (load {load()})")
    t = time.perf_counter()
    with factory() as session:
        ledger_store.store_nodes(session, n)
        session.commit()
    print(f"store_nodes (catch-up over {n:,} leaves): {time.perf_counter() - t:.1f} s")
    if not sqlite:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE ledger_entries")
    engine.dispose()


# --- children ------------------------------------------------------------------------------------


def child_verify(url: str) -> dict:
    engine = make_engine(url)
    base = peak_rss_mb()
    with make_session_factory(engine)() as session:
        t, c = time.perf_counter(), time.process_time()
        check = ledger_store.verify_ledger(session)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
    r = check.report
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": dt,
        "cpu": cpu,
        "workers_cpu": workers.ru_utime + workers.ru_stime,
        "size": r.size,
        "signatures": r.signatures,
        "tree_heads": r.tree_heads,
        "rss_before_mb": base,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_scan(url: str) -> dict:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        t, c = time.perf_counter(), time.process_time()
        count = 0
        for e in ledger_store._entries(session):
            hashlib.sha256(b"\x00" + e.body).digest()
            count += 1
        dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {"seconds": dt, "cpu": cpu, "size": count, "peak_rss_mb": peak_rss_mb()}


def child_proofs(url: str, count: int, peer: bool) -> dict:
    from commitments.ledger import verify_proof_bundle

    engine = make_engine(url)
    factory = make_session_factory(engine)
    out: dict = {}
    with factory() as session:
        size = ledger_store.latest_tree_head(session).tree_size
        rng = random.Random(7)
        seqs = [rng.randrange(1, size + 1) for _ in range(count)]
        ledger_store.proof_for(session, seqs[0])  # connection, statements warmed
        times = []
        for s in seqs:
            t = time.perf_counter()
            bundle = ledger_store.proof_for(session, s)
            times.append(time.perf_counter() - t)
            assert bundle["entry"]["seq"] == s
        for s in seqs[:20]:
            verify_proof_bundle(ledger_store.proof_for(session, s))
        out["proof_ms"] = [x * 1000 for x in times]
        if peer:
            ptimes = []
            for s in seqs[:3]:
                t = time.perf_counter()
                leaves = ledger_store.leaf_hashes(session, size)
                path = inclusion_proof(leaves, s - 1)
                ptimes.append(time.perf_counter() - t)
                assert [p.hex() for p in path] == ledger_store.proof_for(session, s)["audit_path"]
                del leaves
            out["peer_ms"] = [x * 1000 for x in ptimes]
    # a seal over one more entry (rolled back)
    with make_session_factory(engine, write=True)() as session:
        t = time.perf_counter()
        ledger_store.append(session, "verdict", "CN-BENCH", {"number": "CN-BENCH", "status": "met"})
        head = ledger_store.seal(session)
        out["seal_ms"] = (time.perf_counter() - t) * 1000
        assert head is not None and head.tree_size == size + 1
        session.rollback()
    return out


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {args} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--head-every", type=int, default=100)
    ap.add_argument("--acceptance-every", type=int, default=50)
    ap.add_argument("--proofs", type=int, default=300)
    ap.add_argument("--peer-max", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true", help="keep a database generated before")
    ap.add_argument("--skip-scan", action="store_true")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        what, url, *rest = args.child
        if what == "verify":
            print(json.dumps(child_verify(url)))
        elif what == "scan":
            print(json.dumps(child_scan(url)))
        else:
            print(json.dumps(child_proofs(url, int(rest[0]), rest[1] == "1")))
        return
    results = []
    for n in (int(x) for x in args.sizes.split(",")):
        url = url_for(args.backend, n)
        if not args.reuse:
            print(f"generating {n:,} entries ({args.backend}), load {load()}", flush=True)
            generate(url, n, args.head_every, args.acceptance_every)
        if args.generate_only:
            continue
        row: dict = {"n": n}
        row["load_verify"] = load()
        row["verify"] = run_child("verify", url)
        print(f"verify {n:,}: {row['verify']} (load {row['load_verify']} → {load()})", flush=True)
        if not args.skip_scan:
            row["load_scan"] = load()
            row["scan"] = run_child("scan", url)
            print(
                f"bare scan {n:,}: {row['scan']} (load {row['load_scan']} → {load()})", flush=True
            )
        row["load_proofs"] = load()
        row["proofs"] = run_child(
            "proofs", url, str(args.proofs), "1" if n <= args.peer_max else "0"
        )
        p = row["proofs"]
        print(
            f"proofs {n:,}: p50 {statistics.median(p['proof_ms']):.2f} ms, p95 "
            f"{pct(p['proof_ms'], 0.95):.2f} ms, max {max(p['proof_ms']):.2f} ms; "
            f"peer {p.get('peer_ms')}; seal {p['seal_ms']:.1f} ms (load {row['load_proofs']} → {load()})",
            flush=True,
        )
        results.append(row)
    print()
    print(
        f"| entries ({args.backend}) | verify s (CPU s + workers) | peak RSS (MB) | signatures / tree heads | bare scan s (CPU s) | verify ÷ scan (wall) | proof p50 / p95 / max (ms) | proof from all leaves (ms) | append + seal (ms) | load (verify; proofs) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        v, p = r["verify"], r["proofs"]
        scan = r.get("scan")
        peer = f"{statistics.median(p['peer_ms']):.0f}" if "peer_ms" in p else "—"
        print(
            f"| {r['n']:,} | {v['seconds']:.1f} ({v['cpu']:.1f} + {v['workers_cpu']:.1f}) | {v['peak_rss_mb']:.0f} (at start {v['rss_before_mb']:.0f}) "
            f"| {v['signatures']:,} / {v['tree_heads']:,} "
            f"| {scan['seconds']:.1f} ({scan['cpu']:.1f}) | {v['seconds'] / scan['seconds']:.2f}× "
            if scan
            else f"| {r['n']:,} | {v['seconds']:.1f} | {v['peak_rss_mb']:.0f} | {v['signatures']:,} / {v['tree_heads']:,} | — | — ",
            end="",
        )
        print(
            f"| {statistics.median(p['proof_ms']):.2f} / {pct(p['proof_ms'], 0.95):.2f} / {max(p['proof_ms']):.2f} "
            f"| {peer} | {p['seal_ms']:.1f} | {r['load_verify']}; {r['load_proofs']} |"
        )


if __name__ == "__main__":
    main()
