"""Standard-plot registry benchmark (issue 3): import, bbox queries in process and over HTTP, on
SQLite with the in-process STRtree index and on PostGIS, beside the same query as raw SQL.

Input: N non-overlapping plots (default 100,000) on a grid east of Hangzhou, ~0.0025° squares
(≈ 100 亩) with 0.0005° roads, spanning the GK 3° zone boundary at 121.5°E, each with five
indicators; written once as GeoJSON (not timed).  Then, per backend:

- import: ``landplots.services.importing.import_file`` on the GeoJSON, validation and overlap checks
  included, committed (the work ``onetrip plots import`` does);
- in-process bbox: 1,000 random boxes whose answers hold 0–100 plots,
  ``search_plots(PlotQuery(bbox=…))`` (codes and number matched) in one open session (SQLite
  still reads the registry's version token at every query); the first query after the import
  (SQLite: the index build) is reported apart;
- HTTP bbox: the same boxes as ``GET /ogc/collections/plots/items?bbox=…&limit=100`` against
  ``uvicorn`` in a separate process (GeoJSON of up to 100 features, with indicators);
- raw SQL (PostGIS only): the same boxes as ``SELECT code … WHERE geometry && box AND
  ST_Intersects(…) ORDER BY code`` through psycopg on its own autocommit connection,
  interleaved with the service's queries so that both see the same machine load.

    python bench/spatial.py                       # 100,000 plots, SQLite and PostGIS
    python bench/spatial.py --n 20000 --queries 300 --skip-http

Targets: import < 20 s; in-process bbox p50 < 1 ms; HTTP p50 < 15 ms (≤ 100 features);
PostGIS path within 1.5× of raw SQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landplots.services import importing, search  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.engine import ensure_database, make_engine, make_session_factory  # noqa: E402

CELL, SIZE = 0.003, 0.0025
X0, Y0 = 120.6, 30.0


def make_input(n: int, path: Path) -> None:
    """``n`` plots on the grid, written with pyogrio (GeoPackage or GeoJSON by the suffix):
    quadrilaterals whose corners are jittered by up to 0.0002° inside their 0.003° cell, so no
    two touch (the 0.0005° roads leave at least 0.0001° between neighbours)."""
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely

    side = int(n**0.5) + 1
    rng = np.random.default_rng(3)
    k = np.arange(n)
    x = X0 + (k % side) * CELL
    y = Y0 + (k // side) * CELL
    jitter = rng.uniform(-0.0002, 0.0002, size=(n, 4, 2))
    corners = (
        np.stack(
            [
                np.stack([x, y], axis=1),
                np.stack([x + SIZE, y], axis=1),
                np.stack([x + SIZE, y + SIZE], axis=1),
                np.stack([x, y + SIZE], axis=1),
            ],
            axis=1,
        )
        + jitter
    )
    rings = np.concatenate([corners, corners[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    pick = rng.integers(0, 4, n)
    frame = gpd.GeoDataFrame(
        {
            "code": [f"B{i:07d}" for i in range(n)],
            "name": [f"基准地块{i}" for i in range(n)],
            "status": np.array(["储备", "挂牌", "已出让", "已开工"], dtype=object)[pick],
            "land_use": "工业用地",
            "inv_lo": np.array([250, 300, 350, 400])[rng.integers(0, 4, n)],
            "far_lo": 1.2,
            "far_hi": 3.0,
            "tax_lo": np.array([20, 25, 30, 35, 40])[rng.integers(0, 5, n)],
            "energy_lo": 2.0,
            "emis_lo": 300,
        },
        geometry=geoms,
        crs="EPSG:4490",
    )
    driver = "GPKG" if path.suffix == ".gpkg" else "GeoJSON"
    pyogrio.write_dataframe(frame, path, driver=driver, layer="plots" if driver == "GPKG" else None)


def boxes(n_plots: int, count: int) -> list[tuple[float, float, float, float]]:
    side = int(n_plots**0.5) + 1
    rows = n_plots // side
    rng = random.Random(11)
    out = []
    for _ in range(count):
        w = rng.uniform(0.0005, 0.0265)  # up to 9–10 cells a side → ≤ 100 plots
        x = rng.uniform(X0, X0 + side * CELL - w)
        y = rng.uniform(Y0, Y0 + rows * CELL - w)
        out.append((x, y, x + w, y + w))
    return out


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def fmt_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.3f} / {pct(samples, 95) * 1000:.3f}"


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM, not inherited across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_import(url: str, path: Path) -> dict:
    """The import in this (fresh) process: seconds, CPU seconds, peak RSS before and after."""
    engine = make_engine(url)
    before = peak_rss_mb()
    try:
        with make_session_factory(engine)() as s:
            t, c = time.perf_counter(), time.process_time()
            summary = importing.import_file(s, path)
            s.commit()
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        assert summary.plots_new > 0
    finally:
        engine.dispose()
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "plots": summary.plots,
        "rss_start_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_import(url: str, path: Path) -> dict:
    """``import_file`` (the work of ``onetrip plots import``) in a child process."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child-import", url, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit("import failed")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  import {out} (load {os.getloadavg()[0]:.2f})", flush=True)
    return out


def bench_inprocess(
    url: str, qs, raw: bool = False
) -> tuple[float, list[float], list[int], list[float]]:
    """The service's bbox query in one open session; with ``raw``, the same SQL through psycopg
    on its own connection, interleaved query by query (so both see the same machine load)."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    times, sizes, raw_times = [], [], []
    cur = None
    if raw:
        import psycopg

        rc = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        cur = rc.cursor()
    keys = ("minx", "miny", "maxx", "maxy")
    try:
        with sessions() as s:
            t = time.perf_counter()
            search.search_plots(s, search.PlotQuery(bbox=qs[0]))
            first = time.perf_counter() - t
            for b in qs[:20]:  # warm both (psycopg prepares a statement after 5 runs)
                search.search_plots(s, search.PlotQuery(bbox=b))
                if cur is not None:
                    cur.execute(search.raw_bbox_sql(), dict(zip(keys, b, strict=True)))
                    cur.fetchall()
            for b in qs:  # one open session, like the raw SQL's open connection
                t = time.perf_counter()
                r = search.search_plots(s, search.PlotQuery(bbox=b))
                times.append(time.perf_counter() - t)
                sizes.append(r.number_matched)
                if cur is not None:
                    t = time.perf_counter()
                    cur.execute(search.raw_bbox_sql(), dict(zip(keys, b, strict=True)))
                    rows = cur.fetchall()
                    raw_times.append(time.perf_counter() - t)
                    assert len(rows) == r.number_matched
    finally:
        if cur is not None:
            cur.connection.close()
        engine.dispose()
    return first, times, sizes, raw_times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_http(url: str, qs) -> tuple[list[float], int]:
    import httpx

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app_from_env",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}/ogc/collections/plots/items"
    times, biggest = [], 0
    try:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get(base, params={"limit": 1})
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            client.get(base, params={"bbox": ",".join(map(str, qs[0])), "limit": 100})
            for b in qs:
                t = time.perf_counter()
                r = client.get(base, params={"bbox": ",".join(f"{v:.6f}" for v in b), "limit": 100})
                times.append(time.perf_counter() - t)
                assert r.status_code == 200
                biggest = max(biggest, r.json()["numberReturned"])
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return times, biggest


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "ONETRIP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/onetrip_bench"
        ),
    )
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--format", choices=("gpkg", "geojson"), default="gpkg")
    ap.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_import:
        print(json.dumps(child_import(args.child_import[0], Path(args.child_import[1]))))
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = out / f"plots_{args.n}.{args.format}"
    if not data.exists():
        t = time.perf_counter()
        make_input(args.n, data)
        print(
            f"input: {data} ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
    qs = boxes(args.n, args.queries)
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    rows = []

    sqlite_path = out / "spatial.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    sqlite_url = f"sqlite:///{sqlite_path}"
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    imp = bench_import(sqlite_url, data)
    first, times, sizes, _ = bench_inprocess(sqlite_url, qs)
    row = {
        "backend": "SQLite + STRtree",
        "import": imp,
        "first_ms": first * 1000,
        "inproc": times,
    }
    if not args.skip_http:
        row["http"], row["http_max"] = bench_http(sqlite_url, qs)
    rows.append(row)
    print(
        f"SQLite: import {imp['seconds']:.1f} s; answers 0–{max(sizes)} plots (median {statistics.median(sizes):.0f})"
    )

    if not args.skip_pg:
        from sqlalchemy import text

        ensure_database(args.pg)
        engine = make_engine(args.pg)
        reset_database(engine)
        upgrade(engine)
        engine.dispose()
        imp = bench_import(args.pg, data)
        engine = make_engine(args.pg, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(text("ANALYZE"))
        engine.dispose()
        first, times, _, raw = bench_inprocess(args.pg, qs, raw=True)
        row = {
            "backend": "PostGIS (GiST)",
            "import": imp,
            "first_ms": first * 1000,
            "inproc": times,
            "raw": raw,
        }
        if not args.skip_http:
            row["http"], row["http_max"] = bench_http(args.pg, qs)
        rows.append(row)
        print(f"PostGIS: import {imp['seconds']:.1f} s")

    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print()
    print(
        f"| backend ({args.n:,} plots, {args.queries:,} bbox queries) | import s (CPU s) | import peak RSS MB (at start) | first query (ms) | in-process p50 / p95 (ms) | HTTP p50 / p95 (ms) | raw SQL p50 / p95 (ms) | path ÷ raw (p50) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        http = fmt_ms(r["http"]) + f" (≤ {r['http_max']} features)" if "http" in r else "—"
        raw = fmt_ms(r["raw"]) if "raw" in r else "—"
        ratio = (
            f"{statistics.median(r['inproc']) / statistics.median(r['raw']):.2f}×"
            if "raw" in r
            else "—"
        )
        print(
            f"| {r['backend']} | {r['import']['seconds']:.1f} ({r['import']['cpu']:.1f}) | {r['import']['peak_rss_mb']:.0f} ({r['import']['rss_start_mb']:.0f}) | {r['first_ms']:.0f} | {fmt_ms(r['inproc'])} | {http} | {raw} | {ratio} |"
        )


if __name__ == "__main__":
    main()
