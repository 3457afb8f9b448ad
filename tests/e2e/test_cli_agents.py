"""`onetrip agents scan|digest` as a user runs them: a real process on a prepared database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from approvals.services import review
from storage.engine import make_engine, make_session_factory
from tests.integration.agents_support import MON, file, make_world, reviewer, task, upload


def onetrip(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ONETRIP_TODAY"}}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_scan_and_digest_per_agent(db_url):
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        w = make_world(session)
        p = file(session, w)  # agent1's
        file(session, w, industry="chemical", owner="enterprise2")  # agent2's
        upload(session, w, p, "M-form", MON)
        review.accept_task(session, reviewer(w, "fgw"), task(session, p, "A").id, MON, w.cal)
        session.commit()
        code = p.code
    engine.dispose()

    r = onetrip("agents", "scan", "--db", db_url, "--date", "2026-03-04")
    assert r.returncode == 0, r.stderr
    assert "2026-03-04 风险巡检：2 个项目，1 个存在风险，提醒 1 条（新增 1 条）" in r.stdout

    r = onetrip("agents", "digest", "--db", db_url, "--date", "2026-03-04")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "代办员 张敏（agent1） · 2026-03-04 每日提醒" in out
    assert "代办员 刘洋（agent2） · 2026-03-04 每日提醒" in out
    assert f"▲ {code}" in out and "已超期 2 个工作日" in out
    assert out.index("agent1") < out.index(code) < out.index("agent2")

    r = onetrip(
        "--lang",
        "en",
        "agents",
        "digest",
        "--db",
        db_url,
        "--date",
        "2026-03-04",
        "--agent",
        "agent2",
        "--no-scan",
    )
    assert r.returncode == 0 and "daily digest for 2026-03-04" in r.stdout
    assert "agent1" not in r.stdout

    for args, culprit in [
        (("--date", "2026-02-30"), "2026-02-30"),
        (("--date", "2026-03-04", "--agent", "nobody"), "nobody"),
    ]:
        r = onetrip("agents", "digest", "--db", db_url, *args)
        assert r.returncode == 1 and culprit in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
