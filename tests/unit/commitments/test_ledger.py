"""The ledger: RFC 6962 hashing against the certificate-transparency test vectors, inclusion
proofs, the hash chain and signed tree heads, and offline proof checking — with tampering."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from commitments import signing
from commitments.errors import LedgerError
from commitments.ledger import (
    TreeHead,
    make_entry,
    proof_bundle,
    verify_entries,
    verify_proof_bundle,
)
from commitments.merkle import (
    MerkleFrontier,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_inclusion,
)

# RFC 6962 test vectors (certificate-transparency's merkle_tree_test): leaf inputs and the roots
# of the trees of their first 1…8 leaves, and two audit paths in the tree of 8.
INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PATHS = {
    0: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    5: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in INPUTS]


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_match_the_rfc6962_vectors(n):
    assert merkle_root(LEAVES[:n]).hex() == ROOTS[n - 1]


@pytest.mark.parametrize("index", [0, 5])
def test_audit_paths_match_the_vectors(index):
    assert [p.hex() for p in inclusion_proof(LEAVES, index)] == PATHS[index]


def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not():
    leaves = [leaf_hash(str(i).encode()) for i in range(21)]
    for n in range(1, len(leaves) + 1):
        root = merkle_root(leaves[:n])
        for i in range(n):
            path = inclusion_proof(leaves[:n], i)
            assert verify_inclusion(leaves[i], i, n, path, root)
            if n > 1:
                assert not verify_inclusion(leaves[(i + 1) % n], i, n, path, root)
                assert not verify_inclusion(leaves[i], i, n, path[:-1], root)
    assert (
        merkle_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_frontier_roots_agree_at_every_size():
    f = MerkleFrontier()
    leaves = [leaf_hash(bytes([i])) for i in range(70)]
    for i, leaf in enumerate(leaves):
        f.append(leaf)
        assert f.root() == merkle_root(leaves[: i + 1])


KEY = signing.generate()
PLATFORM = signing.public_of(KEY)
KEYS = {PLATFORM.fingerprint: PLATFORM}


def chain(n: int = 6):
    entries, prev = [], None
    for i in range(n):
        prev = make_entry(
            prev, "verdict", "CN-1", f"2026-01-0{1 + i % 9}T00:00:00Z", {"i": i, "status": "met"}
        )
        entries.append(prev)
    return entries


def sth(entries, size=None) -> TreeHead:
    size = len(entries) if size is None else size
    head = TreeHead(
        size,
        merkle_root([leaf_hash(e.body) for e in entries[:size]]).hex(),
        "2026-01-10T00:00:00Z",
        PLATFORM.fingerprint,
    )
    return replace(head, signature=signing.sign(KEY, head.to_bytes()))


def test_an_intact_chain_verifies():
    entries = chain()
    report = verify_entries(entries, KEYS, [sth(entries, 3), sth(entries)])
    assert (
        report.size == 6 and report.tree_heads == 2 and report.root_hash == sth(entries).root_hash
    )


def broken(entries, heads=None):
    with pytest.raises(LedgerError) as e:
        verify_entries(entries, KEYS, heads if heads is not None else [sth(chain())])
    return e.value


def test_tampering_is_named_at_the_first_broken_entry():
    good = chain()
    # a value changed inside an entry
    e = list(good)
    e[2] = e[2]._replace(body=e[2].body.replace(b'"met"', b'"notMet"'))
    assert broken(e).seq == 3 and "hash mismatch" in str(broken(e))
    # a column the body covers
    e = list(good)
    e[3] = e[3]._replace(kind="consequence")
    assert broken(e).seq == 4 and "kind" in str(broken(e))
    # an entry deleted, the last one deleted, two swapped
    assert broken(good[:2] + good[3:]).seq == 3
    assert broken(good[:-1]).seq == 6
    swapped = [*good[:2], good[3], good[2], *good[4:]]
    assert broken(swapped).seq == 3
    # an entry rewritten with its hash recomputed: the next entry's link breaks, and the root
    e = list(good)
    forged = make_entry(e[1], "verdict", "CN-1", e[2].at, {"i": 2, "status": "notMet"})
    e[2] = forged
    err = broken(e)
    assert err.seq == 4 and "#3" in str(err)
    # an entry appended without a signed tree head
    extra = make_entry(good[-1], "verdict", "CN-1", "2026-02-01T00:00:00Z", {"i": 6})
    assert "signed tree head" in str(broken([*good, extra]))
    # a tree head with a forged signature, and one whose root does not match
    bad_sig = replace(sth(good), signature=signing.sign(signing.generate(), sth(good).to_bytes()))
    assert "signature" in str(broken(good, [bad_sig]))
    other = chain()
    other[0] = make_entry(None, "verdict", "CN-2", other[0].at, {"i": 0})
    assert "Merkle root" in str(broken(good, [sth(other)]))


def test_a_proof_bundle_is_checked_offline():
    entries = chain(11)
    head = sth(entries)
    leaves = [leaf_hash(e.body) for e in entries]
    bundle = json.loads(json.dumps(proof_bundle(entries[6], leaves, head, PLATFORM)))
    result = verify_proof_bundle(bundle, PLATFORM)
    assert (result.seq, result.tree_size) == (7, 11)
    assert verify_proof_bundle(bundle).root_hash == head.root_hash  # with the bundle's own key
    with pytest.raises(LedgerError, match="trusted"):
        verify_proof_bundle(bundle, signing.public_of(signing.generate()))
    altered = json.loads(json.dumps(bundle))
    altered["entry"]["body"] = altered["entry"]["body"].replace('"met"', '"notMet"')
    with pytest.raises(LedgerError, match="leaf hash"):
        verify_proof_bundle(altered, PLATFORM)
    altered = json.loads(json.dumps(bundle))
    altered["audit_path"][0] = "00" * 32
    with pytest.raises(LedgerError, match="audit path"):
        verify_proof_bundle(altered, PLATFORM)
    altered = json.loads(json.dumps(bundle))
    altered["tree_head"]["tree_size"] = 12
    with pytest.raises(LedgerError, match="signature"):
        verify_proof_bundle(altered, PLATFORM)
    with pytest.raises(LedgerError, match="not an onetrip"):
        verify_proof_bundle({"type": "x"})


def test_proofs_and_roots_from_perfect_subtrees_equal_those_from_the_leaves():
    """The stored-subtree form of PATH and MTH (what a big ledger serves) gives exactly RFC
    6962's hashes at every size and index."""
    from commitments.merkle import (
        fold_subtrees,
        inclusion_proof_from,
        perfect_subtrees,
        root_subtrees,
    )

    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(300)]
    calls = []

    def subtree(h, i):
        lo, hi = i << h, (i + 1) << h
        assert hi <= n, "asked for a subtree beyond the tree"
        calls.append(h)
        return merkle_root(leaves[lo:hi])

    for n in [*list(range(1, 70)), 255, 256, 257, 299, 300]:
        assert fold_subtrees([subtree(h, i) for h, i in root_subtrees(n)]) == merkle_root(
            leaves[:n]
        )
        for index in sorted({0, n // 3, n // 2, n - 2, n - 1} - {-1}):
            if 0 <= index < n:
                assert inclusion_proof_from(index, n, subtree) == inclusion_proof(leaves[:n], index)
    # every piece is a perfect, aligned subtree, and the pieces tile the range
    for lo, hi in ((0, 300), (256, 300), (288, 299), (8, 12)):
        parts = perfect_subtrees(lo, hi)
        assert sum(1 << h for h, _ in parts) == hi - lo
        assert all(((i << h) >= lo and ((i + 1) << h) <= hi) for h, i in parts)


def test_a_tampered_entry_in_a_long_chain_is_named_at_its_sequence_number():
    entries = chain(600)
    heads = [sth(entries, k) for k in (100, 256, 600)]
    assert verify_entries(iter(entries), KEYS, iter(heads)).size == 600
    for seq in (1, 257, 599):
        bad = list(entries)
        doc = json.loads(bad[seq - 1].body)
        doc["payload"]["status"] = "breached"
        bad[seq - 1] = bad[seq - 1]._replace(body=json.dumps(doc).encode())
        with pytest.raises(LedgerError) as e:
            verify_entries(iter(bad), KEYS, iter(heads))
        assert e.value.seq == seq and "hash mismatch" in str(e.value)
