"""The ledger: an append-only hash chain that is also an RFC 6962 Merkle tree.

**Entries.**  Every commitment, acceptance (counter-signature), checkpoint, inspection, verdict
and consequence is an entry.  An entry's bytes are the canonical JSON (:mod:`commitments.canonical`)
of ``{"type": "onetrip.ledger.entry", "v": 1, "seq", "kind", "subject", "at", "prev", "payload"}``
where ``seq`` counts from 1, ``subject`` names what the entry is about (a commitment number),
``at`` is the UTC time of recording and ``prev`` is the leaf hash of the entry before (64 zeros
for the first).

**Hashes.**  As in certificate transparency (RFC 6962 §2.1): the leaf hash of an entry is
``SHA-256(0x00 ‖ entry bytes)`` and an interior node is ``SHA-256(0x01 ‖ left ‖ right)``; the
tree over ``n`` leaves splits at the largest power of two below ``n``.  Because each entry
names the previous leaf hash, the leaves also form a hash chain: changing, deleting or
reordering any entry breaks the chain at that entry.  The tree itself is :mod:`commitments.merkle`.

**Signatures.**  The platform signs *tree heads* (``{"type": "onetrip.tree_head", "v": 1,
"tree_size", "root_hash", "timestamp", "key"}``) with its Ed25519 key, after every unit of work
that appends; parties sign inside payloads (the enterprise signs its commitment's canonical
bytes, the administration its acceptance statement).  An **inclusion proof** (RFC 6962 §2.1.1,
verified with RFC 9162 §2.1.3.2) lets anyone holding the platform's public key check one entry
offline: :func:`verify_proof_bundle`.

Everything here is pure: rows come in as :class:`StoredEntry` values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec

from commitments.canonical import FORMAT_VERSION, KNOWN_VERSIONS, canonical_bytes
from commitments.errors import LedgerError
from commitments.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    inclusion_proof,
    leaf_hash,
    verify_inclusion,
)
from commitments.signing import PublicKey, decode_signature

ZERO_HASH = "0" * 64
ENTRY_TYPE = "onetrip.ledger.entry"
TREE_HEAD_TYPE = "onetrip.tree_head"
PROOF_TYPE = "onetrip.inclusion_proof"

#: Entry kinds.  ``commitment`` and ``acceptance`` carry party signatures in their payload.
KINDS = ("commitment", "acceptance", "checkpoint", "inspection", "verdict", "consequence")


# --- entries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry before it is stored (see the module docstring for its bytes)."""

    seq: int
    kind: str
    subject: str
    at: str
    prev: str
    payload: Mapping[str, Any]

    def document(self) -> dict[str, Any]:
        return {
            "type": ENTRY_TYPE,
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "kind": self.kind,
            "subject": self.subject,
            "at": self.at,
            "prev": self.prev,
            "payload": dict(self.payload),
        }

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.document())

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.to_bytes())


class StoredEntry(NamedTuple):
    """An entry as a row holds it: the columns and the canonical bytes (``body``).  (A named
    tuple: a verifier makes a million of them.)"""

    seq: int
    kind: str
    subject: str
    at: str
    prev_hash: str
    leaf_hash: str
    body: bytes


def make_entry(
    previous: StoredEntry | None, kind: str, subject: str, at: str, payload: Mapping[str, Any]
) -> StoredEntry:
    """The next entry after ``previous`` (``None`` for the first), ready to store."""
    if kind not in KINDS:
        raise LedgerError(f"未知的台账条目类型 '{kind}'", f"unknown ledger entry kind '{kind}'")
    seq = previous.seq + 1 if previous else 1
    prev = previous.leaf_hash if previous else ZERO_HASH
    entry = Entry(seq, kind, subject, at, prev, payload)
    body = entry.to_bytes()
    return StoredEntry(seq, kind, subject, at, prev, leaf_hash(body).hex(), body)


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A signed tree head (STH): the platform's signature over the root of the first
    ``tree_size`` entries at ``timestamp``."""

    tree_size: int
    root_hash: str
    timestamp: str
    key: str  # fingerprint of the signing key
    signature: str = ""  # base64

    def statement(self) -> dict[str, Any]:
        return {
            "type": TREE_HEAD_TYPE,
            "v": FORMAT_VERSION,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "key": self.key,
        }

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.statement())

    def to_dict(self) -> dict[str, Any]:
        return {**self.statement(), "signature": self.signature}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TreeHead:
        try:
            return cls(
                int(d["tree_size"]),
                str(d["root_hash"]),
                str(d["timestamp"]),
                str(d["key"]),
                str(d.get("signature", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise LedgerError(f"树头格式错误：{e}", f"malformed tree head: {e}") from None


def tree_head_signature_ok(head: TreeHead, keys: Mapping[str, PublicKey]) -> bool:
    key = keys.get(head.key)
    if key is None:
        return False
    try:
        return key.verify(decode_signature(head.signature), head.to_bytes())
    except LedgerError:
        return False
    except Exception:  # a malformed signature is simply not valid
        return False


# --- verification -------------------------------------------------------------------------------


def _fail(seq: int | None, zh: str, en: str) -> LedgerError:
    where_zh = f"台账条目 #{seq}：" if seq is not None else "台账："
    where_en = f"ledger entry #{seq}: " if seq is not None else "ledger: "
    return LedgerError(where_zh + zh, where_en + en, seq=seq)


def parse_body(entry: StoredEntry) -> dict[str, Any]:
    try:
        doc = json.loads(entry.body)
    except (ValueError, UnicodeDecodeError):
        raise _fail(entry.seq, "内容不是 JSON", "its body is not JSON") from None
    if not isinstance(doc, dict):
        raise _fail(entry.seq, "内容不是对象", "its body is not an object")
    return doc


class _Envelope(msgspec.Struct):
    """The fields of an entry's bytes that its columns repeat; the payload left undecoded."""

    type: str
    v: int
    seq: int
    kind: str
    subject: str
    at: str
    prev: str
    payload: msgspec.Raw


_decode_envelope = msgspec.json.Decoder(_Envelope).decode


@dataclass
class VerifyReport:
    """What :func:`verify_entries` checked."""

    size: int = 0
    root_hash: str = EMPTY_ROOT.hex()
    signatures: int = 0
    tree_heads: int = 0
    latest_head: TreeHead | None = None
    kinds: dict[str, int] = field(default_factory=dict)
    #: seq → (kind, payload bytes) of the entries asked for with ``keep``
    payloads: dict[int, tuple[str, bytes]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignatureJob:
    """A party's signature inside an entry's payload, to be checked."""

    seq: int
    public: bytes  # the raw 32-byte Ed25519 key
    signature: bytes
    message: bytes
    zh: str
    en: str


#: A payload check for a kind: (entry, parsed body, keys) → the signatures to verify; it raises
#: :class:`LedgerError` itself for anything else that is wrong (a missing document, a hash).
PayloadCheck = Callable[
    [StoredEntry, dict[str, Any], Mapping[str, PublicKey]], Sequence[SignatureJob]
]

#: Below this many signatures they are checked in this process; above, in worker processes
#: while this one goes on hashing (Ed25519 verification is most of a big ledger's time).
PARALLEL_SIGNATURES = 4096
_BATCH = 2048


def _verify_batch(jobs: Sequence[tuple[int, bytes, bytes, bytes]]) -> list[int]:
    """The sequence numbers whose signature does not verify (run in worker processes)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys: dict[bytes, Ed25519PublicKey] = {}
    bad = []
    for seq, raw, sig, message in jobs:
        key = keys.get(raw)
        if key is None:
            key = keys[raw] = Ed25519PublicKey.from_public_bytes(raw)
        try:
            key.verify(sig, message)
        except (InvalidSignature, ValueError):
            bad.append(seq)
    return bad


class _Signatures:
    """Signature checks, in batches, in a process pool once there are many.  At most a few
    batches are in flight at a time and only failures are kept, so memory stays flat however
    long the ledger."""

    def __init__(self, parallel: bool) -> None:
        self.parallel = parallel
        self.pending: list[SignatureJob] = []
        self.futures: list[tuple[Any, list[SignatureJob]]] = []
        self.failures: dict[int, tuple[str, str]] = {}  # seq → what failed (the first per seq)
        self.pool: Any = None
        self.workers = 1
        self.count = 0
        self.checked = 0

    def add(self, jobs: Sequence[SignatureJob], party: bool = True) -> None:
        self.pending.extend(jobs)
        self.checked += len(jobs)
        if party:  # the report counts the parties' signatures; tree heads are checked apart
            self.count += len(jobs)
        if self.parallel and len(self.pending) >= _BATCH and self.checked >= PARALLEL_SIGNATURES:
            self._submit()

    @staticmethod
    def _args(jobs: Sequence[SignatureJob]) -> list[tuple[int, bytes, bytes, bytes]]:
        return [(k, j.public, j.signature, j.message) for k, j in enumerate(jobs)]

    def _submit(self) -> None:
        if self.pool is None:
            import os
            from concurrent.futures import ProcessPoolExecutor

            self.workers = max(1, os.cpu_count() or 1)
            self.pool = ProcessPoolExecutor(max_workers=self.workers)
        jobs, self.pending = self.pending, []
        self.futures.append((self.pool.submit(_verify_batch, self._args(jobs)), jobs))
        while len(self.futures) > 2 * self.workers:  # back-pressure: wait for the oldest
            self._failed(self.futures[0][1], self.futures.pop(0)[0].result())

    def _failed(self, jobs: Sequence[SignatureJob], bad: Sequence[int]) -> None:
        for k in bad:
            j = jobs[k]
            self.failures.setdefault(j.seq, (j.zh, j.en))

    def first_failure(self) -> int | None:
        """Check everything added so far; the smallest failing sequence number."""
        jobs, self.pending = self.pending, []
        self._failed(jobs, _verify_batch(self._args(jobs)))
        for f, batch in self.futures:
            self._failed(batch, f.result())
        self.futures = []
        return min(self.failures) if self.failures else None

    def raise_first(self, then: LedgerError | None = None) -> None:
        seq = self.first_failure()
        if seq is not None and (then is None or then.seq is None or seq <= then.seq):
            zh, en = self.failures[seq]
            raise _fail(
                seq, f"{zh}无效（伪造或被修改）", f"{en} does not verify (forged or altered)"
            )
        if then is not None:
            raise then

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def verify_entries(
    entries: Iterable[StoredEntry],
    keys: Mapping[str, PublicKey],
    tree_heads: Iterable[TreeHead],
    payload_checks: Mapping[str, PayloadCheck] | None = None,
    on_entry: Callable[[int], None] | None = None,
    *,
    parallel: bool = True,
    keep: Container[int] = (),
) -> VerifyReport:
    """Re-check every entry in ``seq`` order: its columns against its bytes, its leaf hash, its
    link to the previous entry, the signatures inside its payload (``payload_checks`` by kind),
    and every signed tree head against the tree at its size.  Every entry must be covered by a
    signed tree head.  With ``parallel``, many signatures are verified in worker processes.

    Both ``entries`` and ``tree_heads`` are read once, as streams (a list of heads is sorted
    first; any other iterable must come smallest tree first): memory does not grow with the
    ledger.

    Raises
    ------
    LedgerError
        At the first broken entry, with ``seq`` set and the reason in both languages.
    """
    sigs = _Signatures(parallel)
    try:
        try:
            report = _verify(entries, keys, tree_heads, payload_checks or {}, on_entry, sigs, keep)
        except LedgerError as e:
            sigs.raise_first(e)
            raise
        sigs.raise_first()
        report.signatures = sigs.count
        return report
    finally:
        sigs.close()


def _verify(
    entries: Iterable[StoredEntry],
    keys: Mapping[str, PublicKey],
    tree_heads: Iterable[TreeHead],
    checks: Mapping[str, PayloadCheck],
    on_entry: Callable[[int], None] | None,
    sigs: _Signatures,
    keep: Container[int] = (),
) -> VerifyReport:
    heads = _heads_in_order(tree_heads)
    report = VerifyReport()
    frontier = MerkleFrontier()
    prev = ZERO_HASH
    expected = 1
    latest: TreeHead | None = None
    head = next(heads, None)
    while head is not None and head.tree_size == 0:
        _check_head(head, EMPTY_ROOT, keys, None)
        report.tree_heads += 1
        latest, head = head, next(heads, None)
    sha256 = hashlib.sha256
    append = frontier.append
    kinds = report.kinds
    for e in entries:
        if e.seq != expected:
            _check_sequence(e, expected)
        env = _checked_envelope(e)
        computed = sha256(b"\x00" + e.body).digest()
        if e.prev_hash != prev or computed.hex() != e.leaf_hash:
            _checked_leaf(e, prev)  # raises, naming what is wrong
        check = checks.get(e.kind)
        if check is not None:
            try:
                payload = msgspec.json.decode(env.payload)
            except msgspec.DecodeError:
                payload = None
            sigs.add(check(e, {"payload": payload}, keys))
        if e.seq in keep:
            report.payloads[e.seq] = (e.kind, bytes(env.payload))
        append(computed)
        prev = e.leaf_hash
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
        expected += 1
        if head is not None and head.tree_size == frontier.size:
            root = frontier.root()
            while head is not None and head.tree_size == frontier.size:
                sigs.add((_head_job(head, root, keys, e.seq),), party=False)
                report.tree_heads += 1
                latest, head = head, next(heads, None)
        if on_entry is not None:
            on_entry(e.seq)
    size = expected - 1
    if head is not None:
        raise _fail(
            size + 1,
            f"缺失：已签名的树头覆盖 {head.tree_size} 个条目，台账只有 {size} 个（条目被删除）",
            f"is missing: a signed tree head covers {head.tree_size} entries but the ledger holds {size} (entries were deleted)",
        )
    if size and (latest is None or latest.tree_size < size):
        first = (latest.tree_size if latest else 0) + 1
        raise _fail(
            first,
            "未被任何已签名的树头覆盖：条目在签名后被追加",
            "is not covered by any signed tree head: it was appended outside the platform",
        )
    report.size = size
    report.root_hash = frontier.root().hex()
    report.latest_head = latest
    return report


def _heads_in_order(tree_heads: Iterable[TreeHead]) -> Iterator[TreeHead]:
    """The tree heads smallest first (a sequence is sorted; a stream must be in order)."""
    if isinstance(tree_heads, Sequence):
        tree_heads = sorted(tree_heads, key=lambda h: h.tree_size)
    last = 0
    for h in tree_heads:
        if h.tree_size < 0:
            raise _fail(
                None, f"树头大小 {h.tree_size} 无效", f"tree head size {h.tree_size} is invalid"
            )
        if h.tree_size < last:
            raise _fail(None, "树头未按规模排序", "the tree heads are not in order of size")
        last = h.tree_size
        yield h


def _check_sequence(e: StoredEntry, expected: int) -> None:
    """``e`` must be entry number ``expected``: a gap is a deleted entry."""
    if e.seq != expected:
        if e.seq > expected:
            raise _fail(
                expected,
                f"缺失（其后是 #{e.seq}）：条目被删除",
                f"is missing (the next stored entry is #{e.seq}): an entry was deleted",
            )
        raise _fail(
            e.seq, f"序号重复或乱序（应为 #{expected}）", f"out of order (expected #{expected})"
        )


def _checked_envelope(e: StoredEntry) -> _Envelope:
    """The entry's decoded envelope, whose fields must repeat its columns."""
    try:
        env = _decode_envelope(e.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise _fail(e.seq, f"内容格式错误（{err}）", f"its body is malformed ({err})") from None
    if env.type != ENTRY_TYPE or env.v not in KNOWN_VERSIONS:
        raise _fail(e.seq, "类型或格式版本未知", "unknown type or format version")
    if (env.seq, env.kind, env.subject, env.at, env.prev) != (
        e.seq,
        e.kind,
        e.subject,
        e.at,
        e.prev_hash,
    ):
        for column, value, inside in (
            ("seq", e.seq, env.seq),
            ("kind", e.kind, env.kind),
            ("subject", e.subject, env.subject),
            ("at", e.at, env.at),
            ("prev", e.prev_hash, env.prev),
        ):
            if inside != value:
                raise _fail(
                    e.seq,
                    f"字段 {column} 与已签内容不一致（存储值 {value!r}，内容中为 {inside!r}）",
                    f"column {column} differs from the hashed body (stored {value!r}, body {inside!r})",
                )
    return env


def _checked_leaf(e: StoredEntry, prev: str) -> bytes:
    """The entry's leaf hash, which must match its column, and its link to ``prev``."""
    computed = leaf_hash(e.body)
    if computed.hex() != e.leaf_hash:
        raise _fail(
            e.seq,
            "哈希不符：内容被修改",
            f"hash mismatch: the body was altered (stored {e.leaf_hash[:16]}…, computed {computed.hex()[:16]}…)",
        )
    if e.prev_hash != prev:
        raise _fail(
            e.seq,
            f"与前一条目 #{e.seq - 1} 的链接断开（prev 哈希不符）：#{e.seq - 1} 被改写，或条目被删除、插入、重排",
            f"the link to entry #{e.seq - 1} is broken (prev hash differs): #{e.seq - 1} was rewritten, "
            "or an entry was deleted, inserted or reordered",
        )
    return computed


def _head_job(head: TreeHead, root: bytes, keys: Mapping[str, PublicKey], seq: int) -> SignatureJob:
    """A signed tree head at entry ``seq``: its root is checked here, its signature becomes a
    job for the signature checks (with the parties' ones, in worker processes)."""
    key = keys.get(head.key)
    try:
        signature = decode_signature(head.signature) if key is not None else b""
    except Exception:
        signature = b""
    if key is None or len(signature) != 64:
        _check_head(head, root, keys, seq)  # raises, naming the signature
    if head.root_hash != root.hex():
        _check_head(head, root, keys, seq)  # raises, naming the root (or the signature)
    assert key is not None
    return SignatureJob(
        seq,
        key.raw,
        signature,
        head.to_bytes(),
        f"规模为 {head.tree_size} 的树头签名（密钥 {head.key[:16]}…）",
        f"the signature of the tree head of size {head.tree_size} (key {head.key[:16]}…)",
    )


def _check_head(
    head: TreeHead, root: bytes, keys: Mapping[str, PublicKey], seq: int | None
) -> None:
    if not tree_head_signature_ok(head, keys):
        raise _fail(
            seq,
            f"规模为 {head.tree_size} 的树头签名无效（密钥 {head.key[:16]}…）",
            f"the tree head of size {head.tree_size} has an invalid signature (key {head.key[:16]}…)",
        )
    if head.root_hash != root.hex():
        raise _fail(
            seq,
            f"前 {head.tree_size} 个条目的默克尔根与已签名树头不符：此前的条目被修改",
            f"the Merkle root of the first {head.tree_size} entries differs from the signed tree head: an earlier entry was altered",
        )


# --- proofs for offline checking ---------------------------------------------------------------


def proof_bundle(
    entry: StoredEntry,
    leaves: Sequence[bytes],
    head: TreeHead,
    platform_key: PublicKey,
    extra: Mapping[str, Any] | None = None,
    *,
    path: Sequence[bytes] | None = None,
) -> dict[str, Any]:
    """Everything a regulator needs to check one entry offline: the entry's bytes, its audit
    path to the signed tree head, and the platform's public key (to compare with the published
    one).  ``leaves`` are the leaf hashes of the first ``head.tree_size`` entries, or ``path``
    the audit path already computed (from stored subtrees; ``leaves`` is then ignored).
    """
    if not 1 <= entry.seq <= head.tree_size or (path is None and len(leaves) != head.tree_size):
        raise LedgerError(
            f"条目 #{entry.seq} 不在规模为 {head.tree_size} 的树中",
            f"entry #{entry.seq} is not in the tree of size {head.tree_size}",
            seq=entry.seq,
        )
    if path is None:
        path = inclusion_proof(leaves, entry.seq - 1)
    return {
        "type": PROOF_TYPE,
        "v": FORMAT_VERSION,
        "entry": {"seq": entry.seq, "leaf_hash": entry.leaf_hash, "body": entry.body.decode()},
        "leaf_index": entry.seq - 1,
        "tree_head": head.to_dict(),
        "audit_path": [p.hex() for p in path],
        "platform_key": {"fingerprint": platform_key.fingerprint, "ed25519": platform_key.b64},
        **(dict(extra) if extra else {}),
    }


@dataclass(frozen=True)
class ProofResult:
    seq: int
    kind: str
    subject: str
    tree_size: int
    root_hash: str
    key: str
    document_checked: bool


def verify_proof_bundle(bundle: Mapping[str, Any], trusted: PublicKey | None = None) -> ProofResult:
    """Check a proof from :func:`proof_bundle` offline.

    The entry's bytes must hash to its leaf, the audit path must lead from the leaf to the tree
    head's root, and the tree head must carry a valid signature of the platform key — the
    ``trusted`` one when given (compare it with the published key!), else the bundle's own.
    When the bundle carries the commitment document and its signer keys, their hash and
    signatures are checked too.

    Raises
    ------
    LedgerError
        Naming the first check that fails.
    """
    entry, body, seq, head, path, index, key_info = _parse_bundle(bundle)
    key = _platform_key(key_info, trusted)
    doc = _check_inclusion(entry, body, seq, head, path, index, key)
    checked = False
    if "document" in bundle and doc.get("kind") == "commitment":
        _check_bundled_document(bundle, doc.get("payload", {}), seq)
        checked = True
    return ProofResult(
        seq,
        str(doc.get("kind")),
        str(doc.get("subject")),
        head.tree_size,
        head.root_hash,
        head.key,
        checked,
    )


def _parse_bundle(
    bundle: Mapping[str, Any],
) -> tuple[Any, bytes, int, TreeHead, list[bytes], int, Any]:
    """The proof's parts: entry, its bytes and seq, tree head, audit path, leaf index and
    platform key info."""
    try:
        if bundle.get("type") != PROOF_TYPE or bundle.get("v") not in KNOWN_VERSIONS:
            raise LedgerError("不是 onetrip 包含证明", "not an onetrip inclusion proof")
        entry = bundle["entry"]
        body = str(entry["body"]).encode()
        seq = int(entry["seq"])
        head = TreeHead.from_dict(bundle["tree_head"])
        path = [bytes.fromhex(p) for p in bundle["audit_path"]]
        index = int(bundle["leaf_index"])
        key_info = bundle["platform_key"]
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError(f"证明格式错误：{e}", f"malformed proof: {e}") from None
    return entry, body, seq, head, path, index, key_info


def _platform_key(key_info: Any, trusted: PublicKey | None) -> PublicKey:
    """The ``trusted`` key (which the proof must name, if it names one), else the proof's own."""
    from commitments.signing import load_public

    key = trusted or load_public(str(key_info.get("ed25519", "")), "platform_key")
    if trusted is not None and key_info.get("fingerprint") not in (None, trusted.fingerprint):
        raise LedgerError(
            "证明中的平台公钥与信任的公钥不一致",
            "the proof's platform key is not the trusted key",
        )
    return key


def _check_inclusion(
    entry: Any,
    body: bytes,
    seq: int,
    head: TreeHead,
    path: list[bytes],
    index: int,
    key: PublicKey,
) -> dict[str, Any]:
    """The entry's bytes hash to its leaf, the leaf is at ``seq``, the tree head is signed by
    ``key`` and the audit path leads to its root.  Returns the entry's decoded bytes."""
    leaf = leaf_hash(body)
    if leaf.hex() != entry.get("leaf_hash"):
        raise LedgerError(
            f"条目 #{seq} 的内容与其叶子哈希不符",
            f"entry #{seq}: its body does not match its leaf hash",
            seq=seq,
        )
    doc = json.loads(body)
    if doc.get("seq") != seq or index != seq - 1:
        raise LedgerError(
            f"条目 #{seq} 的序号与证明不一致",
            f"entry #{seq}: sequence number inconsistent",
            seq=seq,
        )
    if head.key != key.fingerprint or not key.verify(
        decode_signature(head.signature), head.to_bytes()
    ):
        raise LedgerError("树头签名无效", "the tree head's signature does not verify")
    if not verify_inclusion(leaf, index, head.tree_size, path, bytes.fromhex(head.root_hash)):
        raise LedgerError(
            f"条目 #{seq} 的审计路径不能导出已签名的树根",
            f"entry #{seq}: the audit path does not lead to the signed root",
            seq=seq,
        )
    return doc


def _check_bundled_document(bundle: Mapping[str, Any], payload: Any, seq: int) -> None:
    """The bundled commitment document matches the entry's hash and its enterprise signature."""
    from commitments.signing import load_public

    document = str(bundle["document"]).encode()
    if hashlib.sha256(document).hexdigest() != payload.get("document_sha256"):
        raise LedgerError(
            "承诺书内容与条目中的哈希不符",
            "the commitment document does not match the entry's hash",
            seq=seq,
        )
    signer_keys = {
        k["fingerprint"]: load_public(k["ed25519"]) for k in bundle.get("signer_keys", [])
    }
    sig = payload.get("signature", {})
    signer = signer_keys.get(sig.get("key", ""))
    if signer is None or not signer.verify(decode_signature(sig.get("value", "")), document):
        raise LedgerError(
            "企业对承诺书的签名无效",
            "the enterprise's signature on the commitment does not verify",
            seq=seq,
        )
