"""``onetrip ledger`` in real processes: verify an intact ledger (exit 0, one line), alter a
stored row with raw SQL after dropping the triggers (exit 1 naming the entry), and an inclusion
proof written by ``ledger proof`` and checked offline by ``ledger verify-proof``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from approvals.service import work_calendar
from commitments.orm import CheckpointRow
from commitments.services import inspections as inspections_service
from commitments.services import keys as keys_service
from migrations.runner import downgrade, upgrade
from storage.engine import make_engine, make_session_factory
from tests.integration.commitments_world import build_world, publish
from tests.integration.test_commitments_ledger import drop_triggers


def onetrip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120
    )


def in_process(*args: str):
    from click.testing import CliRunner

    from api.cli import cli

    return CliRunner().invoke(cli, list(args))


def make_ledger(db_url: str):
    """A published commitment and one inspection; returns (platform public key, number)."""
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        w = build_world(session)
        c = publish(session, w)
        cp = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).first()
        inspections_service.record_inspection(
            session,
            w.regulator,
            cp.id,
            {
                "fixed_asset_investment": 1000,
                "floor_area": 1,
                "building_footprint": 1,
                "green_area": 1,
                "building_height": 1,
            },
            [{"name": "r.pdf", "sha256": "cd" * 32}],
            cp.due_on,
            work_calendar(session),
        )
        session.commit()
        platform = keys_service.platform_key(session).public
        number = c.number
    engine.dispose()
    return platform, number


def test_verify_intact_then_tampered(db_url, backend):
    make_ledger(db_url)
    r = onetrip("ledger", "verify", "--db", db_url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1 and "台账完好" in r.stdout and "个条目" in r.stdout
    # someone with rights on the database drops the triggers and rewrites a verdict
    engine = make_engine(db_url)
    with engine.begin() as conn:
        drop_triggers(conn, backend)
        seq = conn.scalar(text("SELECT min(seq) FROM ledger_entries WHERE kind = 'verdict'"))
        conn.execute(
            text(
                'UPDATE ledger_entries SET body = replace(body, \'"status"\\:"notMet"\', \'"status"\\:"met"\') WHERE seq = :s'
            ),
            {"s": seq},
        )
    engine.dispose()
    try:
        r = onetrip("--lang", "en", "ledger", "verify", "--db", db_url)
        assert r.returncode == 1
        assert (
            f"ledger entry #{seq}" in r.stderr
            and "hash mismatch" in r.stderr
            and r.stderr.count("\n") == 1
        )
    finally:
        if backend == "postgresql":  # the database is shared by later tests: triggers back
            engine = make_engine(db_url)
            downgrade(engine, "0003")
            upgrade(engine)
            engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_proof_checked_offline(db_url, tmp_path: Path):
    platform, number = make_ledger(db_url)
    proof = tmp_path / "proof.json"
    r = onetrip("ledger", "proof", "1", "--db", db_url, "--out", str(proof))
    assert r.returncode == 0, r.stderr
    key_file = tmp_path / "platform.pub"
    key_file.write_text(platform.pem())
    r = onetrip("--lang", "en", "ledger", "verify-proof", str(proof), "--key", str(key_file))
    assert r.returncode == 0 and "proof valid: entry #1 (commitment " + number in r.stdout, (
        r.stdout + r.stderr
    )
    assert "signature checked" in r.stdout
    # a proof whose entry was altered fails offline, naming it
    bundle = json.loads(proof.read_text())
    bundle["entry"]["body"] = bundle["entry"]["body"].replace(
        '"kind":"commitment"', '"kind":"verdict"'
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle))
    # bad input: one line, exit 1 (in process: the CLI's start-up is the slow part here)
    r = in_process("ledger", "verify-proof", str(bad), "--key", platform.b64)
    assert r.exit_code == 1 and "#1" in r.stderr and r.stderr.count("\n") == 1

    r = in_process("ledger", "proof", "9999", "--db", db_url)
    assert r.exit_code == 1 and "#9999" in r.stderr and r.stderr.count("\n") == 1
    r = in_process("ledger", "verify-proof", str(tmp_path / "missing.json"))
    assert r.exit_code == 1 and "missing.json" in r.stderr
