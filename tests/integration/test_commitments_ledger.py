"""The ledger against someone with rights on the database: the triggers refuse UPDATE and
DELETE, and with the triggers dropped ``verify_ledger`` still names the first broken entry for
a changed value, a deleted entry, a reordered entry, a forged signature, an appended entry and
altered working rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from approvals.service import work_calendar
from commitments.errors import LedgerError
from commitments.ledger import make_entry
from commitments.orm import CheckpointRow, LedgerEntryRow
from commitments.services import inspections as inspections_service
from commitments.services import ledger_store as ledger_store_service
from commitments.services import queries as queries_service
from tests.integration.commitments_world import build_world, publish

EVIDENCE = [{"name": "report.pdf", "sha256": "ab" * 32}]


def drop_triggers(conn, backend: str) -> None:
    for table in ("ledger_entries", "ledger_tree_heads"):
        if backend == "postgresql":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))


@pytest.fixture
def ledger(session):
    """A ledger with every kind of entry: a published commitment, a met 对标验收, a breached
    达产复核 with its consequences and re-check."""
    w = build_world(session)
    c = publish(session, w)
    calendar = work_calendar(session)
    doc = queries_service.document_of(c)
    mu, m2 = doc["plot"]["area_mu"], doc["plot"]["area_m2"]
    acceptance, production = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).all()
    inspections_service.record_inspection(
        session,
        w.regulator,
        acceptance.id,
        {
            "fixed_asset_investment": 400 * mu,
            "floor_area": 2 * m2,
            "building_footprint": 0.5 * m2,
            "green_area": 0.1 * m2,
            "building_height": 30,
        },
        EVIDENCE,
        acceptance.due_on,
        calendar,
    )
    inspections_service.record_inspection(
        session,
        w.regulator,
        production.id,
        {
            "tax": 20 * mu,
            "value_added": 300 * mu,
            "energy_tce": 100 * mu,
            "emissions_t": mu,
            "rd_spending": 400,
            "revenue": 10000,
            "employees": 200,
        },
        EVIDENCE,
        production.due_on,
        calendar,
    )
    session.commit()
    session.close()
    return c


def tamper(engine, backend: str, *statements: str, then=None) -> LedgerError:
    """Drop the triggers, alter stored rows, verify — all in one transaction rolled back after."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            drop_triggers(conn, backend)
            for s in statements:
                conn.execute(text(s.replace(":", "\\:")))
            if then is not None:
                then(conn)
            with Session(bind=conn) as s, pytest.raises(LedgerError) as caught:
                ledger_store_service.verify_ledger(s)
        finally:
            trans.rollback()
    return caught.value


def seq_of(session, kind: str, nth: int = 0) -> int:
    return session.scalars(
        select(LedgerEntryRow.seq).where(LedgerEntryRow.kind == kind).order_by(LedgerEntryRow.seq)
    ).all()[nth]


def test_the_database_refuses_to_rewrite_the_ledger(engine, session, ledger):
    for statement in (
        "UPDATE ledger_entries SET kind = 'verdict' WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 1",
        "DELETE FROM ledger_tree_heads",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    assert ledger_store_service.verify_ledger(session).report.size > 10


def test_verify_names_the_first_broken_entry(engine, backend, session, ledger):
    n = session.scalar(select(LedgerEntryRow.seq).order_by(LedgerEntryRow.seq.desc()).limit(1))
    verdict = seq_of(session, "verdict", 5)
    first_not_met = session.scalar(
        select(LedgerEntryRow.seq)
        .where(LedgerEntryRow.kind == "verdict", LedgerEntryRow.body.like("%notMet%"))
        .order_by(LedgerEntryRow.seq)
        .limit(1)
    )
    session.rollback()  # no lock of ours may stand in the way of DROP TRIGGER
    # a changed value inside an entry
    e = tamper(
        engine,
        backend,
        'UPDATE ledger_entries SET body = replace(body, \'"status":"notMet"\', \'"status":"met"\') '
        "WHERE seq = (SELECT min(seq) FROM ledger_entries WHERE kind = 'verdict' AND body LIKE '%notMet%')",
    )
    assert e.seq == first_not_met and "hash mismatch" in str(e)
    # a changed column that the body covers
    e = tamper(engine, backend, f"UPDATE ledger_entries SET subject = 'CN-X' WHERE seq = {verdict}")
    assert e.seq == verdict and "subject" in str(e)
    # a deleted entry
    e = tamper(engine, backend, f"DELETE FROM ledger_entries WHERE seq = {verdict}")
    assert e.seq == verdict and "deleted" in str(e)
    # the last entry deleted: the signed tree head still counts it
    e = tamper(engine, backend, f"DELETE FROM ledger_entries WHERE seq = {n}")
    assert e.seq == n and "deleted" in str(e)
    # two entries swapped (their sequence numbers exchanged)
    e = tamper(
        engine,
        backend,
        f"UPDATE ledger_entries SET seq = -1 WHERE seq = {verdict}",
        f"UPDATE ledger_entries SET seq = {verdict} WHERE seq = {verdict + 1}",
        f"UPDATE ledger_entries SET seq = {verdict + 1} WHERE seq = -1",
    )
    assert e.seq == verdict and "seq" in str(e)
    # a working row altered: the verdict table says met where the ledger says otherwise
    e = tamper(
        engine,
        backend,
        "UPDATE commitment_verdicts SET status = 'met' WHERE status = 'notMet'",
    )
    assert "verdict" in str(e) and "status" in str(e) and e.seq is not None
    # the signed document altered in the commitments table, and a term in the terms table
    e = tamper(
        engine,
        backend,
        "UPDATE commitments SET document = replace(document, '\"lower\":350', '\"lower\":300')",
    )
    assert e.seq == 1 and "altered" in str(e)
    e = tamper(
        engine,
        backend,
        "UPDATE commitment_terms SET lower = 300 WHERE key = 'investment_intensity'",
    )
    assert e.seq == 1 and "investment_intensity" in str(e)


def test_a_forged_signature_is_caught_even_when_every_hash_is_recomputed(
    engine, backend, session, ledger
):
    """The attacker rewrites the chain from the commitment entry on with a forged enterprise
    signature, recomputes every hash and even re-signs the tree head with the platform key it
    read from the database: the enterprise's signature still does not verify."""

    def rewrite(conn):
        rows = conn.execute(
            text("SELECT seq, kind, subject, at, body FROM ledger_entries ORDER BY seq")
        ).all()
        conn.execute(text("DELETE FROM ledger_entries"))
        conn.execute(text("DELETE FROM ledger_tree_heads"))
        previous = None
        for _seq, kind, subject, at, body in rows:
            payload = json.loads(body)["payload"]
            if kind == "commitment":
                payload["signature"]["value"] = "A" * 86 + "=="
            previous = make_entry(previous, kind, subject, at, payload)
            conn.execute(
                text(
                    "INSERT INTO ledger_entries (seq, kind, subject, at, prev_hash, leaf_hash, body) VALUES (:s, :k, :sub, :at, :p, :l, :b)"
                ),
                {
                    "s": previous.seq,
                    "k": kind,
                    "sub": subject,
                    "at": at,
                    "p": previous.prev_hash,
                    "l": previous.leaf_hash,
                    "b": previous.body.decode(),
                },
            )
        conn.execute(
            text("UPDATE commitments SET enterprise_signature = :v"), {"v": "A" * 86 + "=="}
        )
        with Session(bind=conn) as s:
            ledger_store_service.seal(s)
            s.flush()

    session.rollback()
    e = tamper(engine, backend, then=rewrite)
    assert e.seq == 1 and "forged" in str(e)


def test_an_entry_appended_outside_the_platform(engine, backend, session, ledger):
    def append(conn):
        with Session(bind=conn) as s:
            last = s.scalar(
                select(LedgerEntryRow).order_by(LedgerEntryRow.seq.desc()).limit(1)
            ).to_domain()
            forged = make_entry(
                last, "verdict", last.subject, last.at, {"number": last.subject, "status": "met"}
            )
            s.add(LedgerEntryRow.from_domain(forged))
            s.flush()

    session.rollback()
    e = tamper(engine, backend, then=append)
    assert "signed tree head" in str(e)


def test_proofs_of_a_long_ledger_come_from_stored_subtrees(engine, backend, session):
    """Seals store the complete subtrees of 2^STORED_HEIGHT leaves and up (catching up on a
    ledger that had none, then only the new ones); every proof from them equals the one from all the leaves and
    verifies offline; an altered stored node is refused instead of served."""
    from commitments.ledger import verify_proof_bundle
    from commitments.merkle import inclusion_proof
    from commitments.orm import LedgerNodeRow

    previous = None
    rows = []
    for i in range(1100):
        previous = make_entry(
            previous, "verdict", f"CN-{i % 7}", "2026-01-01T00:00:00Z", {"i": i, "status": "met"}
        )
        rows.append(LedgerEntryRow.from_domain(previous))
    session.add_all(rows[:700])
    session.flush()
    head = ledger_store_service.seal(session)
    assert head.tree_size == 700
    low = ledger_store_service.STORED_HEIGHT

    def complete(size):
        return sorted((h, i) for h in range(low, 12) for i in range(size >> h))

    stored = session.execute(select(LedgerNodeRow.height, LedgerNodeRow.idx)).all()
    assert sorted(stored) == complete(700)
    session.add_all(rows[700:])
    session.flush()
    head = ledger_store_service.seal(session)
    assert head.tree_size == 1100
    stored = session.execute(select(LedgerNodeRow.height, LedgerNodeRow.idx)).all()
    assert sorted(stored) == complete(1100)
    session.commit()
    leaves = ledger_store_service.leaf_hashes(session)
    for seq in (1, 256, 257, 700, 1024, 1025, 1100):
        bundle = ledger_store_service.proof_for(session, seq)
        assert [bytes.fromhex(p) for p in bundle["audit_path"]] == inclusion_proof(leaves, seq - 1)
        assert verify_proof_bundle(bundle).seq == seq
    assert ledger_store_service.verify_ledger(session).report.size == 1100
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_nodes SET hash = :h WHERE height = 10 AND idx = 0"),
            {"h": "ab" * 32},
        )
    session.rollback()
    with pytest.raises(LedgerError) as e:
        ledger_store_service.proof_for(session, 1100)
    assert e.value.seq == 1100 and "Merkle node" in str(e.value)
