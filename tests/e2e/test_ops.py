"""Operating onetrip: probes, metrics, request ids, JSON logs, migrations before serving."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from migrations.runner import current_revision, downgrade, head_revision, upgrade
from storage.engine import make_engine
from tests.e2e.procs import onetrip_env, start_server

PREVIOUS = "0006"


def test_probes_metrics_and_request_ids(live):
    anon = httpx.Client(base_url=live.url, timeout=30)
    assert anon.get("/health").json() == {"status": "ok"}
    ready = anon.get("/ready")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert all(c["ok"] for c in checks.values())
    assert checks["migrations"]["current"] == head_revision()
    expected = "inline" if live.db_url.startswith("sqlite") else "procrastinate"
    assert checks["jobs"]["backend"] == expected

    e1 = live.client("enterprise1")
    r = e1.get("/api/projects", headers={"X-Request-ID": "counter-7f3a"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "counter-7f3a"
    hostile = e1.get("/api/projects", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] != "<script>alert(1)</script>"
    assert len(hostile.headers["x-request-id"]) == 32  # a fresh id instead
    assert e1.get("/api/projects/999999").status_code == 404
    assert anon.get("/api/projects").status_code == 401
    assert anon.get("/no/such/page/at/all").headers["x-request-id"]

    metrics = anon.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    body = metrics.text
    # by route template, never by raw path (bounded labels); statuses counted
    assert 'route="/api/projects/{project_id}",status="404"' in body
    assert 'onetrip_http_requests_total{method="GET",route="/api/projects",status="401"}' in body
    assert "/api/projects/999999" not in body and "/no/such/page" not in body
    assert 'route="(unmatched)"' in body
    assert (
        'onetrip_http_request_duration_seconds_bucket{le="0.2",method="GET",route="/api/projects"}'
        in body
    )
    assert "onetrip_job_engine_up 1.0" in body
    assert 'onetrip_job_queue_jobs{status="todo"}' in body


def test_ready_names_a_schema_that_is_behind(live):
    engine = make_engine(live.db_url)
    try:
        downgrade(engine, PREVIOUS)
        r = httpx.get(f"{live.url}/ready", timeout=30)
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not ready"
        assert body["checks"]["migrations"] == {
            "ok": False,
            "current": PREVIOUS,
            "head": head_revision(),
        }
        assert httpx.get(f"{live.url}/health", timeout=30).status_code == 200  # alive, not ready
    finally:
        upgrade(engine)
        engine.dispose()
    assert httpx.get(f"{live.url}/ready", timeout=30).status_code == 200


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_servers_refuse_a_schema_behind_until_migrated(db_url, tmp_path: Path):
    env = onetrip_env(db_url, ONETRIP_LOG_FORMAT="json")
    engine = make_engine(db_url)
    try:
        downgrade(engine, PREVIOUS)
        for command in (["serve", "--port", "8", "--host", "127.0.0.1"], ["worker"]):
            refused = cli(*command, env=env)
            assert refused.returncode == 1, refused.stderr
            assert "onetrip migrate" in refused.stderr and PREVIOUS in refused.stderr
        assert current_revision(engine) == PREVIOUS  # nothing touched it
        show = cli("migrate", "--show", env=env)
        assert show.returncode == 1 and f"current={PREVIOUS} head={head_revision()}" in show.stdout
        done = cli("migrate", env=env)
        assert done.returncode == 0 and f"{PREVIOUS} → {head_revision()}" in done.stdout
        assert current_revision(engine) == head_revision()
        assert cli("migrate", "--show", env=env).returncode == 0
        assert "已是最新" in cli("migrate", env=env).stdout

        # JSON log lines, one per request, carrying the caller's request id
        server = start_server("server", env, tmp_path)
        try:
            r = httpx.get(f"{server.url}/api/projects", headers={"X-Request-ID": "trace-42"})
            assert r.status_code == 401
            deadline = time.monotonic() + 10
            line = None
            while line is None and time.monotonic() < deadline:
                for raw in server.output().splitlines():
                    if raw.startswith("{") and '"trace-42"' in raw:
                        line = json.loads(raw)
                time.sleep(0.1)
            assert line is not None, server.output()
            assert line["logger"] == "onetrip.http" and line["status"] == 401
            assert line["route"] == "/api/projects" and line["request_id"] == "trace-42"
            assert line["level"] == "info" and line["time"].endswith("Z")
        finally:
            server.stop()
    finally:
        upgrade(engine)
        engine.dispose()


def test_sqlite_is_migrated_in_place_by_serve(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = onetrip_env(url)
    server = start_server("server", env, tmp_path)  # an empty file: migrated, then ready
    try:
        assert httpx.get(f"{server.url}/ready").json()["checks"]["migrations"]["ok"]
        assert "数据库已升级" in server.output()
        # the started server froze its heap out of the collector's walks (api.ops.settle_heap)
        metrics = httpx.get(f"{server.url}/metrics").text
        frozen = re.search(r"^onetrip_gc_frozen_objects (\S+)$", metrics, re.M)
        assert frozen is not None and float(frozen.group(1)) > 100_000, metrics[-2000:]
        assert "# TYPE onetrip_gc_pause_seconds histogram" in metrics
    finally:
        server.stop()
