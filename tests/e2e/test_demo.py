"""`onetrip demo` as a newcomer runs it: a fresh database, the plan files, the parallel review."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_demo_runs_end_to_end(tmp_path: Path):
    out = tmp_path / "demo"
    r = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    assert plan["makespan_workdays"] < plan["serial_workdays"]
    assert (out / "plan.bpmn").read_text("utf-8").startswith("<?xml")
    assert (out / "plan.ics").read_text("utf-8").count("BEGIN:VEVENT") == len(plan["items"])
    assert "并联审批比逐项串联节省" in r.stdout
    assert "demo-password" in r.stdout and "reviewer-zjj" in r.stdout
    assert "基线与实际" in r.stdout and "补正" in r.stdout and "容缺" in r.stdout
    assert "completed" in r.stdout
    # the second clock on the live project: intermediaries chosen in the 中介超市, measured
    # against their committed days, and delays attributed to the enterprise or the intermediary
    assert "中介超市为 I-EIA 选定 浙江环科环境咨询有限公司" in r.stdout
    assert "18/15 工作日" in r.stdout  # the 环评 report three working days over its commitment
    assert "企业自身用时 5 天" in r.stdout and "不计入任何审批部门" in r.stdout
    # the proxy agents: assignment by rule, a joint meeting tracked to closure, the digest
    assert "代办服务" in r.stdout and "按规则分配" in r.stdout and "agent2" in r.stdout
    assert "联席会议" in r.stdout and "已办结" in r.stdout and "每日提醒" in r.stdout
    # commitments: signed with the enterprises' own keys, one met, one breached, ledger verified
    assert (out / "keys" / "enterprise1.key").read_text().startswith("-----BEGIN PRIVATE KEY")
    assert (out / "keys" / "enterprise2.pub").exists()
    assert "CN-2026-000001" in r.stdout and "CN-2026-000002" in r.stdout
    assert "达标" in r.stdout and "按差额比例支付违约金" in r.stdout and "整改后复查" in r.stdout
    assert "亩均论英雄" in r.stdout
    assert "台账完好" in r.stdout
    for name in ("commitment-letter.pdf", "compliance-report.pdf"):
        assert (out / name).read_bytes().startswith(b"%PDF-")
    # a second run starts again from a fresh database
    again = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0 and again.stdout.count(
        "2026-330110-34-03-000001"
    ) == r.stdout.count("2026-330110-34-03-000001")
