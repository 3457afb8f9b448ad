"""The ledger over the database: appending entries, sealing tree heads with the platform key,
verifying everything (entries, signatures, and that the working rows still say what their
entries say), inclusion proofs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from commitments import signing
from commitments.canonical import canonical_bytes, sha256_hex
from commitments.errors import CommitmentNotFound, LedgerError, SignatureError
from commitments.ledger import (
    SignatureJob,
    StoredEntry,
    TreeHead,
    VerifyReport,
    make_entry,
    proof_bundle,
    verify_entries,
)
from commitments.merkle import (
    audit_subtrees,
    fold_subtrees,
    leaf_hash,
    merkle_root,
    parents,
    root_subtrees,
    verify_inclusion,
)
from commitments.orm import (
    CheckpointRow,
    CommitmentRow,
    ConsequenceRow,
    InspectionRow,
    LedgerEntryRow,
    LedgerNodeRow,
    TermRow,
    TreeHeadRow,
    VerdictRow,
)
from commitments.services.keys import PlatformKey, platform_key, public_keys
from commitments.services.payloads import (
    acceptance_payload,
    checkpoint_payload,
    commitment_payload,
    consequence_payload,
    inspection_payload,
    verdict_payload,
)

#: The fields of a term, in the document and in ``commitment_terms`` alike.
TERM_FIELDS = (
    "key",
    "name",
    "name_en",
    "unit",
    "lower",
    "upper",
    "milestone",
    "tolerance",
    "planned",
)


# --- the ledger ----------------------------------------------------------------------------------


def ledger_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _lock_ledger(session: Session) -> None:
    """Serialise appends: PostgreSQL takes a transaction-level advisory lock; SQLite's writers
    are serialised by ``BEGIN IMMEDIATE`` already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(6962)"))


def _last_entry(session: Session) -> StoredEntry | None:
    row = session.scalar(select(LedgerEntryRow).order_by(LedgerEntryRow.seq.desc()).limit(1))
    return row.to_domain() if row else None


def append(session: Session, kind: str, subject: str, payload: Mapping[str, Any]) -> StoredEntry:
    """Append one entry to the ledger (in the caller's transaction); :func:`seal` after."""
    _lock_ledger(session)
    entry = make_entry(_last_entry(session), kind, subject, ledger_now(), payload)
    session.add(LedgerEntryRow.from_domain(entry))
    session.flush()
    return entry


def leaf_hashes(session: Session, upto: int | None = None) -> list[bytes]:
    q = select(LedgerEntryRow.leaf_hash).order_by(LedgerEntryRow.seq)
    if upto is not None:
        q = q.where(LedgerEntryRow.seq <= upto)
    return [bytes.fromhex(h) for h in session.scalars(q)]


def seal(session: Session, key: PlatformKey | None = None) -> TreeHead | None:
    """Sign a tree head over the whole ledger (when it grew since the last one), after storing
    the hashes of the subtrees it completed (:func:`store_nodes`)."""
    _lock_ledger(session)
    size = session.scalar(select(func.max(LedgerEntryRow.seq))) or 0
    latest = session.scalar(select(func.max(TreeHeadRow.tree_size)))
    if size == 0 or (latest is not None and latest >= size):
        return None
    key = key or platform_key(session)
    store_nodes(session, size)
    head = TreeHead(size, tree_root(session, size).hex(), ledger_now(), key.fingerprint)
    head = TreeHead(
        head.tree_size,
        head.root_hash,
        head.timestamp,
        head.key,
        signing.sign(key.private, head.to_bytes()),
    )
    session.add(
        TreeHeadRow(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp=head.timestamp,
            key=head.key,
            signature=head.signature,
        )
    )
    session.flush()
    return head


# --- stored subtrees -----------------------------------------------------------------------------

#: The least height of the stored subtrees: a node covers 2^4 = 16 leaves or more, so a ledger
#: of n entries stores about n / 8 nodes and a proof reads fewer than 2 × 16 leaf hashes (the
#: entries' rows are wide: reading 256 of them at random in a ledger of ten million that is
#: not all in memory cost more than the ~25 node lookups).
STORED_HEIGHT = 4
#: Leaves read at a time when catching up on a ledger without stored nodes.
_CATCH_UP_LEAVES = 1 << 18


def _leaf_range(session: Session, lo: int, hi: int) -> list[bytes]:
    """The leaf hashes of leaves ``[lo, hi)`` (entries ``lo + 1 … hi``)."""
    if hi <= lo:
        return []
    rows = session.execute(
        text("SELECT leaf_hash FROM ledger_entries WHERE seq > :lo AND seq <= :hi ORDER BY seq"),
        {"lo": lo, "hi": hi},
    ).all()
    if len(rows) != hi - lo:
        raise LedgerError(
            f"台账条目 #{lo + 1}…#{hi} 不完整（条目被删除）",
            f"ledger entries #{lo + 1}…#{hi} are incomplete (entries were deleted)",
            seq=lo + 1,
        )
    return [bytes.fromhex(r[0]) for r in rows]


def _stored_count(session: Session, height: int) -> int:
    """How many nodes of ``height`` are stored (they are stored left to right, without gaps)."""
    top = session.scalar(select(func.max(LedgerNodeRow.idx)).where(LedgerNodeRow.height == height))
    return 0 if top is None else top + 1


def _store(session: Session, height: int, first: int, hashes: list[bytes]) -> None:
    if hashes:
        session.execute(
            insert(LedgerNodeRow.__table__),
            [{"height": height, "idx": first + j, "hash": h.hex()} for j, h in enumerate(hashes)],
        )


def store_nodes(session: Session, size: int) -> None:
    """Store the hashes of every complete subtree of at least :data:`STORED_HEIGHT` within the
    first ``size`` leaves that is not stored yet (the new ones since the last seal; all of
    them, in batches, on a ledger that has none)."""
    height = STORED_HEIGHT
    done, target = _stored_count(session, height), size >> height
    step = _CATCH_UP_LEAVES >> height
    while done < target:
        stop = min(target, done + step)
        level = _leaf_range(session, done << height, stop << height)
        for _ in range(height):
            level = parents(level)
        _store(session, height, done, level)
        done = stop
    height += 1
    while size >> height:
        done, target = _stored_count(session, height), size >> height
        while done < target:
            stop = min(target, done + step)
            rows = session.execute(
                select(LedgerNodeRow.hash)
                .where(
                    LedgerNodeRow.height == height - 1,
                    LedgerNodeRow.idx >= 2 * done,
                    LedgerNodeRow.idx < 2 * stop,
                )
                .order_by(LedgerNodeRow.idx)
            ).all()
            if len(rows) != 2 * (stop - done):
                raise LedgerError(
                    f"台账的默克尔节点（高度 {height - 1}）不完整",
                    f"the ledger's stored Merkle nodes of height {height - 1} are incomplete",
                )
            _store(session, height, done, parents([bytes.fromhex(r[0]) for r in rows]))
            done = stop
        height += 1


def _subtrees(
    session: Session, wanted: set[tuple[int, int]], size: int
) -> dict[tuple[int, int], bytes]:
    """The hashes of perfect subtrees ``(height, index)`` within the first ``size`` leaves: the
    stored ones in one statement; the others (below :data:`STORED_HEIGHT`, or not stored yet)
    from the leaves of their whole block of 2^STORED_HEIGHT (or of themselves, if higher), hashed level
    by level once."""
    out: dict[tuple[int, int], bytes] = {}
    high = sorted(k for k in wanted if k[0] >= STORED_HEIGHT)
    if high:
        where = " OR ".join(f"(height = {int(h)} AND idx = {int(i)})" for h, i in high)
        for h, i, x in session.execute(
            text(f"SELECT height, idx, hash FROM ledger_nodes WHERE {where}")
        ):
            out[(h, i)] = bytes.fromhex(x)
    block = 1 << STORED_HEIGHT
    spans = set()
    for h, i in wanted:
        if (h, i) in out:
            continue
        lo, hi = i << h, (i + 1) << h
        if h < STORED_HEIGHT:
            lo, hi = lo - lo % block, min(size, lo - lo % block + block)
        spans.add((lo, hi))
    for lo, hi in sorted(spans):  # each starts on a multiple of every height it holds
        level, h = _leaf_range(session, lo, hi), 0
        while level:
            for j, x in enumerate(level):
                key = (h, (lo >> h) + j)
                if key in wanted:
                    out[key] = x
            level, h = parents(level), h + 1
    return out


def tree_root(session: Session, size: int) -> bytes:
    """The Merkle root of the first ``size`` entries, from stored subtrees and the last leaves."""
    parts = root_subtrees(size)
    if not parts:
        return merkle_root([])
    hashes = _subtrees(session, set(parts), size)
    return fold_subtrees([hashes[p] for p in parts])


def audit_path(session: Session, seq: int, tree_size: int) -> list[bytes]:
    """The audit path of entry ``seq`` in the tree of ``tree_size`` entries (RFC 6962 PATH),
    from stored subtrees and at most two short runs of leaves."""
    groups = audit_subtrees(seq - 1, tree_size)
    hashes = _subtrees(session, {p for g in groups for p in g}, tree_size)
    return [fold_subtrees([hashes[p] for p in g]) for g in groups]


def latest_tree_head(session: Session) -> TreeHead | None:
    row = session.scalar(select(TreeHeadRow).order_by(TreeHeadRow.tree_size.desc()).limit(1))
    return row.to_domain() if row else None


# --- verification and proofs ---------------------------------------------------------------------


def _payload_checks(documents: Mapping[str, bytes]) -> dict[str, Callable[..., Any]]:
    """The signatures inside ``commitment`` and ``acceptance`` entries, to be verified."""

    def commitment(
        e: StoredEntry, doc: dict[str, Any], keys: Mapping[str, signing.PublicKey]
    ) -> list[SignatureJob]:
        p = doc.get("payload") or {}
        number = p.get("number")
        body = documents.get(str(number))
        if body is None:
            raise LedgerError(
                f"台账条目 #{e.seq}：承诺书 {number} 的文本不存在（被删除）",
                f"ledger entry #{e.seq}: the document of commitment {number} is missing (deleted)",
                seq=e.seq,
            )
        if sha256_hex(body) != p.get("document_sha256"):
            raise LedgerError(
                f"台账条目 #{e.seq}：承诺书 {number} 的文本与已签名的哈希不符（文本被修改）",
                f"ledger entry #{e.seq}: the document of commitment {number} does not match its signed hash (altered)",
                seq=e.seq,
            )
        return [
            _signature_job(
                e,
                p.get("signature") or {},
                keys,
                body,
                f"承诺书 {number} 的企业签名",
                f"the enterprise's signature of {number}",
            )
        ]

    def acceptance(
        e: StoredEntry, doc: dict[str, Any], keys: Mapping[str, signing.PublicKey]
    ) -> list[SignatureJob]:
        p = doc.get("payload") or {}
        statement = p.get("statement") or {}
        number = statement.get("number")
        body = documents.get(str(number))
        if body is not None and sha256_hex(body) != statement.get("document_sha256"):
            raise LedgerError(
                f"台账条目 #{e.seq}：确认声明与承诺书 {number} 的文本不符",
                f"ledger entry #{e.seq}: the acceptance does not match the document of {number}",
                seq=e.seq,
            )
        return [
            _signature_job(
                e,
                p.get("signature") or {},
                keys,
                canonical_bytes(statement),
                f"承诺书 {number} 的确认签名",
                f"the acceptance signature of {number}",
            )
        ]

    return {"commitment": commitment, "acceptance": acceptance}


def _signature_job(
    e: StoredEntry,
    sig: Mapping[str, Any],
    keys: Mapping[str, signing.PublicKey],
    message: bytes,
    zh: str,
    en: str,
) -> SignatureJob:
    key = keys.get(str(sig.get("key")))
    if key is None:
        raise LedgerError(
            f"台账条目 #{e.seq}：{zh}所用密钥 {str(sig.get('key'))[:16]}… 未登记",
            f"ledger entry #{e.seq}: {en} names an unregistered key {str(sig.get('key'))[:16]}…",
            seq=e.seq,
        )
    try:
        raw = signing.decode_signature(str(sig.get("value") or ""))
    except SignatureError:
        raw = b"\0" * 64  # malformed: it will not verify, and is reported in seq order
    return SignatureJob(e.seq, key.raw, raw, message, zh, en)


def _entries(session: Session, batch: int = 50_000) -> Iterable[StoredEntry]:
    """Every entry in ``seq`` order, fetched in batches on the driver's own cursor (a million
    rows through SQLAlchemy's result machinery would cost more than checking them), the body
    as the bytes it hashes (converted by the database, not decoded and encoded again here)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    sqlite = session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    body = "CAST(body AS BLOB)" if sqlite else "convert_to(body, 'UTF8')"
    sql = (
        f"SELECT seq, kind, subject, at, prev_hash, leaf_hash, {body} FROM ledger_entries "
        f"WHERE seq > {mark} ORDER BY seq LIMIT {mark}"
    )
    last = 0
    make = StoredEntry._make
    while True:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, (last, batch))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        yield from map(make, rows)
        last = rows[-1][0]


def _tree_heads(session: Session, batch: int = 10_000) -> Iterable[TreeHead]:
    """Every signed tree head, smallest first, fetched in batches (one per seal: as many as
    the units of work that appended)."""
    last = -1
    while True:
        rows = session.execute(
            select(
                TreeHeadRow.tree_size,
                TreeHeadRow.root_hash,
                TreeHeadRow.timestamp,
                TreeHeadRow.key,
                TreeHeadRow.signature,
            )
            .where(TreeHeadRow.tree_size > last)
            .order_by(TreeHeadRow.tree_size)
            .limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield TreeHead(r[0], r[1], r[2], r[3], r[4])
        last = rows[-1][0]


@dataclass
class LedgerCheck:
    report: VerifyReport
    rows_checked: int

    def text(self, lang: str = "zh") -> str:
        r = self.report
        head = r.latest_head
        if lang == "en":
            return (
                f"ledger intact: {r.size} entries, {r.signatures} signatures, {r.tree_heads} signed tree heads, "
                f"{self.rows_checked} records consistent; root {r.root_hash[:16]}…"
                + (f" signed {head.timestamp}" if head else "")
            )
        return (
            f"台账完好：{r.size} 个条目，{r.signatures} 个签名，{r.tree_heads} 个已签名树头，"
            f"{self.rows_checked} 条业务记录一致；树根 {r.root_hash[:16]}…"
            + (f"（签于 {head.timestamp}）" if head else "")
        )


def verify_ledger(session: Session, on_entry: Callable[[int], None] | None = None) -> LedgerCheck:
    """Re-check every hash and signature of the ledger and every signed tree head, then that
    every working row (commitments, their terms, checkpoints, inspections, verdicts,
    consequences) still says what its ledger entry says.

    Raises
    ------
    LedgerError
        At the first broken entry (``seq``), naming what is wrong.
    """
    keys = public_keys(session)
    rows = _WorkingRows.load(session)
    report = verify_entries(
        _entries(session),
        keys,
        _tree_heads(session),
        _payload_checks(rows.documents),
        on_entry,
        keep=rows.wanted(),
    )
    return LedgerCheck(report, rows.check(report))


@dataclass
class _WorkingRows:
    """The working tables as plain rows (attribute access, no ORM identity map: fast)."""

    commitments: list[Any]
    terms: dict[int, dict[str, dict[str, Any]]]
    checkpoints: list[Any]
    inspections: list[Any]
    verdicts: list[Any]
    consequences: list[Any]

    @classmethod
    def load(cls, session: Session) -> _WorkingRows:
        def rows(model: Any) -> list[Any]:
            return list(session.execute(select(*model.__table__.columns)))

        terms: dict[int, dict[str, dict[str, Any]]] = {}
        for t in session.execute(select(*TermRow.__table__.columns)):
            terms.setdefault(t.commitment_id, {})[t.key] = {k: getattr(t, k) for k in TERM_FIELDS}
        return cls(
            rows(CommitmentRow),
            terms,
            rows(CheckpointRow),
            rows(InspectionRow),
            rows(VerdictRow),
            rows(ConsequenceRow),
        )

    @property
    def documents(self) -> dict[str, bytes]:
        return {c.number: c.document.encode() for c in self.commitments if c.ledger_seq is not None}

    def wanted(self) -> set[int]:
        seqs = {c.ledger_seq for c in self.commitments} | {
            c.acceptance_seq for c in self.commitments
        }
        for table in (self.checkpoints, self.inspections, self.verdicts, self.consequences):
            seqs |= {r.ledger_seq for r in table}
        seqs.discard(None)
        return seqs  # type: ignore[return-value]

    def check(self, report: VerifyReport) -> int:
        """Each working row against the payload of the ledger entry it names."""
        checks: list[_Check] = []
        for c in self.commitments:
            checks += self._commitment_checks(c)
        checks += self._row_checks()
        for seq, zh, en, payload, kind in sorted(checks, key=lambda c: c[0] or 0):
            _compare(report, seq, zh, en, payload, kind)
        return len(checks)

    def _commitment_checks(self, c: Any) -> list[_Check]:
        """A commitment's signature and acceptance entries to compare; its document against
        its hash, its terms against the signed document (raised at once)."""
        checks: list[_Check] = []
        if c.ledger_seq is not None:
            checks.append(
                (
                    c.ledger_seq,
                    f"承诺书 {c.number}",
                    f"commitment {c.number}",
                    commitment_payload(c),
                    "commitment",
                )
            )
        elif c.status != "draft":
            raise LedgerError(
                f"承诺书 {c.number} 状态为 {c.status}，但台账中没有其签署条目",
                f"commitment {c.number} is '{c.status}' but has no signature entry in the ledger",
            )
        if c.acceptance_seq is not None:
            checks.append(
                (
                    c.acceptance_seq,
                    f"承诺书 {c.number} 的确认",
                    f"the acceptance of {c.number}",
                    acceptance_payload(c),
                    "acceptance",
                )
            )
        if sha256_hex(c.document.encode()) != c.document_sha256:
            raise LedgerError(
                f"承诺书 {c.number} 的文本与其哈希不符（被修改）",
                f"commitment {c.number}: its document does not match its hash (altered)",
                seq=c.ledger_seq,
            )
        self._check_terms(c)
        return checks

    def _check_terms(self, c: Any) -> None:
        doc = msgspec.json.decode(c.document)
        terms = dict(self.terms.get(c.id, {}))
        for d in doc["indicators"]:
            stored = terms.pop(d["key"], None)
            if stored != {k: d.get(k, "" if k == "name_en" else None) for k in TERM_FIELDS}:
                raise LedgerError(
                    f"承诺书 {c.number} 的指标 {d['key']} 与已签名的承诺书不一致（被修改）",
                    f"commitment {c.number}: term {d['key']} differs from the signed document (altered)",
                    seq=c.ledger_seq,
                )
        if terms:
            raise LedgerError(
                f"承诺书 {c.number} 多出未签名的指标 {'、'.join(terms)}",
                f"commitment {c.number} has unsigned terms {', '.join(terms)}",
                seq=c.ledger_seq,
            )

    def _row_checks(self) -> list[_Check]:
        """The checkpoints', inspections', verdicts' and consequences' entries to compare."""
        numbers = {c.id: c.number for c in self.commitments}
        checks: list[_Check] = []
        for cp in self.checkpoints:
            n = numbers[cp.commitment_id]
            checks.append(
                (
                    cp.ledger_seq,
                    f"检查点 {cp.id}（{n}）",
                    f"checkpoint {cp.id} ({n})",
                    checkpoint_payload(cp, n),
                    "checkpoint",
                )
            )
        for i in self.inspections:
            n = numbers[i.commitment_id]
            checks.append(
                (
                    i.ledger_seq,
                    f"检查记录 {i.id}（{n}）",
                    f"inspection {i.id} ({n})",
                    inspection_payload(i, n),
                    "inspection",
                )
            )
        for v in self.verdicts:
            n = numbers[v.commitment_id]
            checks.append(
                (
                    v.ledger_seq,
                    f"核验结论 {v.id}（{n} {v.key}）",
                    f"verdict {v.id} ({n} {v.key})",
                    verdict_payload(v, n),
                    "verdict",
                )
            )
        for k in self.consequences:
            n = numbers[k.commitment_id]
            checks.append(
                (
                    k.ledger_seq,
                    f"违约处置 {k.id}（{n}）",
                    f"consequence {k.id} ({n})",
                    consequence_payload(k, n),
                    "consequence",
                )
            )
        return checks


#: A working row to compare with its ledger entry: (seq, name in Chinese, name in English,
#: the payload it says, the entry's kind).
_Check = tuple[int | None, str, str, dict[str, Any], str]


def _compare(
    report: VerifyReport, seq: int | None, zh: str, en: str, payload: dict[str, Any], kind: str
) -> None:
    """Raise unless ledger entry ``seq`` exists, is of ``kind`` and says ``payload``."""
    kept = report.payloads.get(seq) if seq else None
    if kept is None:
        raise LedgerError(
            f"{zh} 指向的台账条目 #{seq} 不存在",
            f"{en} names ledger entry #{seq}, which does not exist",
            seq=seq,
        )
    if kept[0] != kind:
        raise LedgerError(
            f"台账条目 #{seq} 不是 {zh} 的条目",
            f"ledger entry #{seq} is not the entry of {en}",
            seq=seq,
        )
    stored = msgspec.json.decode(kept[1])
    if stored != payload:
        fields = sorted(k for k in set(stored) | set(payload) if stored.get(k) != payload.get(k))
        raise LedgerError(
            f"{zh} 与台账条目 #{seq} 不一致（{'、'.join(fields)}）：记录被修改",
            f"{en} differs from ledger entry #{seq} ({', '.join(fields)}): the record was altered",
            seq=seq,
        )


def proof_for(session: Session, seq: int) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` against the latest signed tree head, with what an
    offline checker needs (the platform key; for a commitment, its document and signer key).

    Raises
    ------
    CommitmentNotFound
        No such entry, or no signed tree head covers it.
    """
    row = session.get(LedgerEntryRow, seq)
    head = latest_tree_head(session)
    if row is None or head is None or head.tree_size < seq:
        raise CommitmentNotFound(f"台账条目 #{seq} 不存在", f"ledger entry #{seq} not found")
    keys = public_keys(session)
    platform = keys.get(head.key)
    if platform is None:
        raise LedgerError(
            f"树头密钥 {head.key[:16]}… 未登记",
            f"the tree head's key {head.key[:16]}… is not registered",
        )
    entry = row.to_domain()
    extra: dict[str, Any] = {}
    if entry.kind == "commitment":
        c = session.scalar(select(CommitmentRow).where(CommitmentRow.ledger_seq == seq))
        if c is not None and c.enterprise_key in keys:
            extra = {
                "document": c.document,
                "signer_keys": [
                    {"fingerprint": c.enterprise_key, "ed25519": keys[c.enterprise_key].b64}
                ],
            }
    path = audit_path(session, seq, head.tree_size)
    if not verify_inclusion(
        leaf_hash(entry.body), seq - 1, head.tree_size, path, bytes.fromhex(head.root_hash)
    ):
        raise LedgerError(
            f"台账条目 #{seq} 的审计路径不能导出已签名的树根：条目或默克尔节点被修改",
            f"entry #{seq}: its audit path does not lead to the signed root "
            "(the entry or a stored Merkle node was altered)",
            seq=seq,
        )
    return proof_bundle(entry, (), head, platform, extra, path=path)


def ledger_entries_of(session: Session, number: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.subject == number).order_by(LedgerEntryRow.seq)
    )
    return [{"seq": r.seq, "kind": r.kind, "at": r.at, "leaf_hash": r.leaf_hash} for r in rows]
