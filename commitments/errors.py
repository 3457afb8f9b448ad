"""Errors of the commitments domain (承诺制): documents, signatures, the ledger, inspections.

One family, rooted at :class:`CommitmentError`; every message names the culprit (the commitment
number, the ledger entry, the key fingerprint, the figure) in Chinese and English.  Adapters map
the family to exit codes and HTTP statuses in one place each (``api/errors.py``, ``api/cli``).
"""

from __future__ import annotations

from i18n import LocalizedError


class CommitmentError(LocalizedError):
    """Base of the commitments error family."""


class CommitmentNotFound(CommitmentError):
    """A commitment, checkpoint, task or ledger entry does not exist — or is not visible."""


class CommitmentAccessDenied(CommitmentError):
    """The caller's role does not allow this action on a commitment."""


class CommitmentStateError(CommitmentError):
    """The commitment is not in a state that allows the action (e.g. signing twice)."""


class SignatureError(CommitmentError):
    """A key or a signature is malformed, unknown, or does not verify."""


class CanonicalError(CommitmentError):
    """A value cannot be put into canonical form (a NaN, an infinite number, a non-string key)."""


class PolicyError(CommitmentError):
    """A zone's commitment policy (consequence ladder, weights, benchmarks) is malformed."""


class InspectionError(CommitmentError):
    """An inspection's figures or evidence are missing or malformed (names the figure)."""


class LedgerError(CommitmentError):
    """The ledger is broken or a proof does not verify.

    ``seq`` is the first broken entry (``None`` when the problem is not an entry's, e.g. a tree
    head), ``reason`` what is wrong with it.
    """

    def __init__(self, zh: str, en: str | None = None, *, seq: int | None = None) -> None:
        self.seq = seq
        super().__init__(zh, en)
