"""Errors of the commitments domain (承诺制): documents, signatures, the ledger, inspections.

One family, rooted at :class:`CommitmentError`; every message names the culprit (the commitment
number, the ledger entry, the key fingerprint, the figure) in Chinese and English.  Each specific
error is also one of the kinds of :mod:`i18n`, which is what the adapters map (``api/errors.py``).
"""

from __future__ import annotations

from i18n import Conflict, Forbidden, Invalid, LocalizedError, NotFound


class CommitmentError(LocalizedError):
    """Base of the commitments error family."""


class CommitmentNotFound(CommitmentError, NotFound):
    """A commitment, checkpoint, task or ledger entry does not exist — or is not visible."""


class CommitmentAccessDenied(CommitmentError, Forbidden):
    """The caller's role does not allow this action on a commitment."""


class CommitmentStateError(CommitmentError, Conflict):
    """The commitment is not in a state that allows the action (e.g. signing twice)."""


class SignatureError(CommitmentError, Invalid):
    """A key or a signature is malformed, unknown, or does not verify."""


class CanonicalError(CommitmentError, Invalid):
    """A value cannot be put into canonical form (a NaN, an infinite number, a non-string key)."""


class PolicyError(CommitmentError, Invalid):
    """A zone's commitment policy (consequence ladder, weights, benchmarks) is malformed."""


class InspectionError(CommitmentError, Invalid):
    """An inspection's figures or evidence are missing or malformed (names the figure)."""


class LedgerError(CommitmentError, Conflict):
    """The ledger is broken or a proof does not verify.

    ``seq`` is the first broken entry (``None`` when the problem is not an entry's, e.g. a tree
    head), ``reason`` what is wrong with it.
    """

    def __init__(self, zh: str, en: str | None = None, *, seq: int | None = None) -> None:
        self.seq = seq
        super().__init__(zh, en)
