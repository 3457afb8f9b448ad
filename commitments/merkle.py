"""RFC 6962 Merkle trees over leaf hashes: the leaf and node hashes, the growing tree's right
edge (:class:`MerkleFrontier`), the tree head (MTH), audit paths (PATH, RFC 6962 §2.1.1) and
their verification (RFC 9162 §2.1.3.2).

The leaf hash of an entry is ``SHA-256(0x00 ‖ entry bytes)`` and an interior node is
``SHA-256(0x01 ‖ left ‖ right)``; the tree over ``n`` leaves splits at the largest power of two
below ``n``.  Pure: the ledger (:mod:`commitments.ledger`) builds on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from commitments.errors import LedgerError


def leaf_hash(entry_bytes: bytes) -> bytes:
    """``SHA-256(0x00 ‖ entry)``."""
    return hashlib.sha256(b"\x00" + entry_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleFrontier:
    """The right edge of a growing RFC 6962 tree: the roots of its perfect subtrees.

    Appending is O(1) amortised and the root of the tree so far is O(log n), so a verifier
    streaming a million leaves can check every signed tree head on the way.

    >>> f = MerkleFrontier(); f.append(leaf_hash(b"")); f.root().hex()[:16]
    '6e340b9cffb37a98'
    """

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing
        self.size = 0

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        height, h = 0, leaf
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            h = node_hash(left, h)
            height += 1
        stack.append((height, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over the leaf hashes (the empty tree: SHA-256 of nothing)."""
    f = MerkleFrontier()
    for leaf in leaves:
        f.append(leaf)
    return f.root()


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf ``index`` (0-based).

    Precondition: ``0 <= index < len(leaves)``.
    """
    n = len(leaves)
    if not 0 <= index < n:
        raise LedgerError(
            f"叶子序号 {index} 超出树的大小 {n}", f"leaf index {index} outside a tree of {n}"
        )
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            path.append(merkle_root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(merkle_root(leaves[lo : lo + k]))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def root_from_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes:
    """The root an audit path leads to (RFC 9162 §2.1.3.2).

    Raises
    ------
    LedgerError
        When the path is too long or too short for ``index`` in a tree of ``tree_size``.
    """
    if not 0 <= index < tree_size:
        raise LedgerError(
            f"叶子序号 {index} 超出树的大小 {tree_size}",
            f"leaf index {index} outside a tree of {tree_size}",
        )
    fn, sn, r = index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            raise LedgerError("审计路径过长", "the audit path is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LedgerError("审计路径过短", "the audit path is too short")
    return r


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves leaf ``index`` is in the tree of ``tree_size`` with ``root``."""
    try:
        return root_from_inclusion(leaf, index, tree_size, path) == root
    except LedgerError:
        return False


# --- proofs from stored subtrees -----------------------------------------------------------------
#
# Every node of an RFC 6962 tree covers leaves ``[lo, hi)`` with ``lo`` a multiple of the largest
# power of two not above ``hi - lo``; its hash is the right fold of the *perfect aligned*
# subtrees that make up the range (heights falling).  A perfect aligned subtree ``(height, i)``
# covers ``[i · 2^height, (i + 1) · 2^height)`` and never changes once complete, so a ledger can
# store those of a least height once and answer any audit path or root from about ``log n`` of
# them plus fewer than ``2^height`` leaves: :func:`audit_subtrees`, :func:`root_subtrees`.


def perfect_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """The perfect aligned subtrees ``(height, index)`` that make up the tree node over leaves
    ``[lo, hi)``, left to right (heights falling).

    >>> perfect_subtrees(0, 7)
    [(2, 0), (1, 2), (0, 6)]
    >>> perfect_subtrees(8, 12)
    [(2, 2)]
    """
    out = []
    while lo < hi:
        h = (hi - lo).bit_length() - 1
        out.append((h, lo >> h))
        lo += 1 << h
    return out


def audit_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[lo, hi)`` of the nodes on the audit path of leaf ``index``, nearest
    the leaf first (the order of :func:`inclusion_proof`'s hashes).

    >>> audit_ranges(5, 8)
    [(4, 5), (6, 8), (0, 4)]
    """
    if not 0 <= index < tree_size:
        raise LedgerError(
            f"叶子序号 {index} 超出树的大小 {tree_size}",
            f"leaf index {index} outside a tree of {tree_size}",
        )
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """The hash of a node from its perfect subtrees' hashes, left to right (a right fold)."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def audit_subtrees(index: int, tree_size: int) -> list[list[tuple[int, int]]]:
    """For each hash of the audit path of leaf ``index``, the perfect subtrees to fold."""
    return [perfect_subtrees(lo, hi) for lo, hi in audit_ranges(index, tree_size)]


def root_subtrees(tree_size: int) -> list[tuple[int, int]]:
    """The perfect subtrees whose fold is the root of a tree of ``tree_size`` leaves."""
    return perfect_subtrees(0, tree_size)


def inclusion_proof_from(
    index: int, tree_size: int, subtree: Callable[[int, int], bytes]
) -> list[bytes]:
    """PATH of leaf ``index`` in a tree of ``tree_size``, from the hashes of perfect aligned
    subtrees: ``subtree(height, i)``.  Equal to :func:`inclusion_proof` over the leaves.

    >>> leaves = [leaf_hash(bytes([i])) for i in range(11)]
    >>> def subtree(h, i): return merkle_root(leaves[i << h : (i + 1) << h])
    >>> inclusion_proof_from(6, 11, subtree) == inclusion_proof(leaves, 6)
    True
    """
    return [
        fold_subtrees([subtree(h, i) for h, i in parts])
        for parts in audit_subtrees(index, tree_size)
    ]


def parents(level: Sequence[bytes]) -> list[bytes]:
    """The hashes one level up: consecutive pairs (an odd last one is left out)."""
    return [node_hash(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
